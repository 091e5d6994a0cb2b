import assert from "node:assert/strict";
import { z } from "zod";
import { ValidationError } from "../../models/errors.ts";
import { parseOrThrow, validationError } from "../../models/validation.ts";

const Body = z.strictObject({
  name: z.string().min(1).max(3),
  fps: z.number().int().min(1).max(30),
  mode: z.enum(["a", "b"]),
  zones: z.array(z.strictObject({ polygon: z.array(z.number()).min(3) })).optional(),
  password: z.string().max(4).optional(),
});

Deno.test("parseOrThrow() names each bad field by its dotted path", async (t) => {
  const good = { name: "x", fps: 5, mode: "a" };
  const cases: [string, unknown, string, string][] = [
    ["the root", [], "", "the body must be a JSON object"],
    [
      "an unknown field first",
      { ...good, fps: 0, colour: 1 },
      "colour",
      "colour is not a known field; fps must be at least 1: current value is 0",
    ],
    [
      "a missing field",
      { fps: 5, mode: "a" },
      "name",
      "name must be a string: current value is missing",
    ],
    ["a number below", { ...good, fps: 0 }, "fps", "fps must be at least 1: current value is 0"],
    [
      "not an integer",
      { ...good, fps: 1.5 },
      "fps",
      "fps must be an integer: current value is 1.5",
    ],
    ["a choice", { ...good, mode: "c" }, "mode", "mode must be one of a, b"],
    [
      "a short list",
      { ...good, zones: [{ polygon: [1] }] },
      "zones.0.polygon",
      "zones.0.polygon must hold at least 3 items",
    ],
    [
      "a nested unknown field",
      { ...good, zones: [{ polygon: [1, 2, 3], x: 1 }] },
      "zones.0.x",
      "zones.0.x is not a known field",
    ],
  ];
  for (const [name, input, field, message] of cases) {
    await t.step(name, () => {
      assert.throws(() => parseOrThrow(Body, input), (error: unknown) => {
        assert.ok(error instanceof ValidationError);
        assert.equal(error.status, 422);
        assert.equal(error.field, field);
        assert.equal(error.message, message);
        return true;
      });
    });
  }
});

Deno.test("parseOrThrow() never echoes a string value", () => {
  assert.throws(
    () => parseOrThrow(Body, { name: "x", fps: 5, mode: "a", password: "hunter2" }),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal(error.message, "password must be at most 4 characters long");
      return true;
    },
  );
});

Deno.test("validationError() lists three problems and counts the rest", () => {
  const input = { name: 1, fps: "x", mode: 2, zones: 3, password: 4 };
  const result = Body.safeParse(input);
  assert.ok(!result.success);
  const error = validationError(result.error.issues, input, { status: 400, prefix: "query: " });
  assert.equal(error.status, 400);
  assert.match(
    error.message,
    /^query: name must be a string: current value is 1; fps must be a number; mode must/,
  );
  assert.match(error.message, /; 2 more problems$/);
});

Deno.test("validationError() takes the status a refinement asks for", () => {
  const Range = z.object({ from: z.number(), to: z.number() }).superRefine((r, ctx) => {
    if (r.from >= r.to) {
      ctx.addIssue({
        code: "custom",
        path: ["from"],
        message: "must be before to",
        params: { status: 422 },
      });
    }
  });
  const result = Range.safeParse({ from: 2, to: 1 });
  assert.ok(!result.success);
  const error = validationError(result.error.issues, { from: 2, to: 1 }, { status: 400 });
  assert.equal(error.status, 422);
  assert.equal(error.message, "from must be before to");
});
