import assert from "node:assert/strict";
import { planStep, type WriterLimits, type WriterState } from "../../../models/store/write_plan.ts";

const LIMITS: WriterLimits = {
  batchSize: 500,
  maxAgeMs: 250,
  maxBufferedRows: 1000,
  spillAfterMs: 5000,
};
const STATE: WriterState = {
  buffered: 0,
  oldestAt: undefined,
  spilled: 0,
  down: false,
  retryAt: 0,
  spillRetryAt: 0,
};

Deno.test("planStep() decides when to write, spill or wait", async (t) => {
  const cases: [string, Partial<WriterState>, number, ReturnType<typeof planStep>][] = [
    ["an empty writer waits for a push", {}, 0, { action: "wait", until: undefined }],
    ["a partial batch waits until it is maxAgeMs old", { buffered: 10, oldestAt: 100 }, 200, {
      action: "wait",
      until: 350,
    }],
    ["a partial batch is written once maxAgeMs old", { buffered: 10, oldestAt: 100 }, 350, {
      action: "write",
    }],
    ["a full batch is written at once", { buffered: 500, oldestAt: 100 }, 100, {
      action: "write",
    }],
    ["spilled rows are replayed before anything waits", { spilled: 3 }, 0, { action: "write" }],
    [
      "memory over the bound is spilled even while the database is up",
      {
        buffered: 1001,
        oldestAt: 0,
      },
      0,
      { action: "spill" },
    ],
    [
      "while down, nothing is written before retryAt",
      {
        buffered: 10,
        oldestAt: 0,
        down: true,
        retryAt: 1000,
      },
      10,
      { action: "wait", until: 1000 },
    ],
    [
      "while down, a retry is due at retryAt",
      {
        buffered: 10,
        oldestAt: 0,
        down: true,
        retryAt: 1000,
      },
      1000,
      { action: "write" },
    ],
    [
      "while down, rows older than spillAfterMs are spilled",
      {
        buffered: 10,
        oldestAt: 0,
        down: true,
        retryAt: 9000,
      },
      5000,
      { action: "spill" },
    ],
    [
      "while down, the earliest of retry and spill wakes the writer",
      {
        buffered: 10,
        oldestAt: 0,
        down: true,
        retryAt: 9000,
      },
      10,
      { action: "wait", until: 5000 },
    ],
    [
      "after a failed spill, spilling waits for spillRetryAt",
      {
        buffered: 2000,
        oldestAt: 0,
        down: true,
        retryAt: 9000,
        spillRetryAt: 7000,
      },
      6000,
      { action: "wait", until: 7000 },
    ],
    [
      "while down with nothing to write, the writer waits for a push",
      {
        down: true,
        retryAt: 10,
      },
      20,
      { action: "wait", until: undefined },
    ],
  ];
  for (const [name, state, now, expected] of cases) {
    await t.step(
      name,
      () => assert.deepEqual(planStep({ ...STATE, ...state }, now, LIMITS), expected),
    );
  }
});
