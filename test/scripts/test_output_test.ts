import assert from "node:assert/strict";
import { stripVTControlCharacters as plain } from "node:util";
import { createQuietFilter } from "../../scripts/testing/test_output.ts";

// Lines as Deno 2.9's pretty reporter writes them to a pipe, colours included.
const grey = (text: string) => `\x1b[0m\x1b[38;5;245m${text}\x1b[0m`;
const result = (name: string, status: "ok" | "FAILED" | "ignored", extra = "") => {
  const colour = { ok: 32, FAILED: 31, ignored: 33 }[status];
  return `${name} ... \x1b[0m\x1b[${colour}m${status}\x1b[0m ${extra}${grey("(1ms)")}`;
};
const block = (...lines: string[]) => [
  grey("------- output -------"),
  ...lines,
  grey("----- output end -----"),
];
const header = (file: string, n: number) => grey(`running ${n} tests from ./${file}`);

/** Runs `lines` through a fresh filter, in one chunk, and returns what it printed, uncoloured. */
function filter(lines: string[]): string[] {
  const quiet = createQuietFilter();
  const printed = quiet.write(lines.join("\n") + "\n") + quiet.end();
  return plain(printed).split("\n").slice(0, -1);
}

Deno.test("createQuietFilter() drops what a passing or ignored test printed, keeping its result", () => {
  assert.deepEqual(
    filter([
      header("a_test.ts", 3),
      "one passes ...",
      ...block('{"level":"info","msg":"listening"}', "stdout noise"),
      result("one passes", "ok"),
      `quiet ... \x1b[0m\x1b[32mok\x1b[0m ${grey("(517µs)")}`,
      result("skipped", "ignored"),
    ]),
    [
      "running 3 tests from ./a_test.ts",
      "one passes ... ok (1ms)",
      "quiet ... ok (517µs)",
      "skipped ... ignored (1ms)",
    ],
  );
});

Deno.test("createQuietFilter() prints a failing test's output, framed, just before its FAILED line", () => {
  assert.deepEqual(
    filter([
      "passes ...",
      ...block("noise of the passing test"),
      result("passes", "ok"),
      "fails ...",
      ...block('{"level":"error","msg":"capture failed"}'),
      result("fails", "FAILED"),
    ]),
    [
      "passes ... ok (1ms)",
      "fails ...",
      "------- output -------",
      '{"level":"error","msg":"capture failed"}',
      "----- output end -----",
      "fails ... FAILED (1ms)",
    ],
  );
});

Deno.test("createQuietFilter() lists steps under their test and shows a failing step's output", () => {
  assert.deepEqual(
    filter([
      "three steps ...",
      "  s1 ...",
      ...block("step noise"),
      result("  s1", "ok"),
      "  s2 ...",
      ...block("step2 noise"),
      result("  s2", "FAILED"),
      result("three steps", "FAILED", "(due to 1 failed step) "),
      result("next", "ok"),
    ]),
    [
      "three steps ...",
      "  s1 ... ok (1ms)",
      "  s2 ...",
      "------- output -------",
      "step2 noise",
      "----- output end -----",
      "  s2 ... FAILED (1ms)",
      "three steps ... FAILED (due to 1 failed step) (1ms)",
      "next ... ok (1ms)",
    ],
  );
});

Deno.test("createQuietFilter() keeps output without a final newline inside its block", () => {
  const lines = [
    "no newline ...",
    grey("------- output -------"),
    `partialerr-partial${grey("----- output end -----")}`,
  ];
  assert.deepEqual(filter([...lines, result("no newline", "ok")]), ["no newline ... ok (1ms)"]);
  assert.deepEqual(filter([...lines, result("no newline", "FAILED")]), [
    "no newline ...",
    "------- output -------",
    "partialerr-partial----- output end -----",
    "no newline ... FAILED (1ms)",
  ]);
});

Deno.test("createQuietFilter() joins lines split across chunks and prints only whole lines", () => {
  const quiet = createQuietFilter();
  const text =
    ["a ...", ...block("noise"), result("a", "ok"), "b ...", ...block("kept")].join("\n") +
    "\n" + result("b", "FAILED") + "\n";
  let printed = "";
  for (let i = 0; i < text.length; i += 7) {
    const out = quiet.write(text.slice(i, i + 7));
    assert.ok(out === "" || out.endsWith("\n"), JSON.stringify(out));
    printed += out;
  }
  printed += quiet.end();
  assert.deepEqual(plain(printed).split("\n").slice(0, -1), [
    "a ... ok (1ms)",
    "b ...",
    "------- output -------",
    "kept",
    "----- output end -----",
    "b ... FAILED (1ms)",
  ]);
});

Deno.test("createQuietFilter() passes the one-minute notice through, glued or inside a block", () => {
  const notice = (name: string) =>
    `\x1b[0m\x1b[1m\x1b[33m'${name}' has been running for over \x1b[0m${grey("(1m0s)")}\x1b[0m`;
  assert.deepEqual(
    filter([
      `slow quiet ...${notice("slow quiet")}`,
      ` \x1b[0m\x1b[32mok\x1b[0m ${grey("(1m1s)")}`,
      "slow loud ...",
      grey("------- output -------"),
      "hello",
      notice("slow loud"),
      "bye",
      grey("----- output end -----"),
      result("slow loud", "ok"),
    ]),
    [
      "slow quiet ...'slow quiet' has been running for over (1m0s)",
      " ok (1m1s)",
      "'slow loud' has been running for over (1m0s)",
      "slow loud ... ok (1ms)",
    ],
  );
});

Deno.test("createQuietFilter() shows what was printed since the last result when a file dies", () => {
  assert.deepEqual(
    filter([
      result("after", "ok"),
      grey("------- post-test output -------"),
      "late noise",
      grey("----- post-test output end -----"),
      "\x1b[0m\x1b[38;5;245mUncaught error from ./d_test.ts \x1b[0m\x1b[31mFAILED\x1b[0m",
      "dangling ...",
      ...block("cut off here"),
    ]),
    [
      "after ... ok (1ms)",
      "------- post-test output -------",
      "late noise",
      "----- post-test output end -----",
      "Uncaught error from ./d_test.ts FAILED",
      "dangling ...",
      "------- output -------",
      "cut off here",
      "----- output end -----",
    ],
  );
});

Deno.test("createQuietFilter() prints late output of a failed test and drops that of a passed one", () => {
  const late = [
    grey("------- post-test output -------"),
    "late",
    grey("----- post-test output end -----"),
  ];
  assert.deepEqual(
    filter([result("a", "ok"), ...late, header("b_test.ts", 1), result("b", "ok")]),
    [
      "a ... ok (1ms)",
      "running 1 tests from ./b_test.ts",
      "b ... ok (1ms)",
    ],
  );
  assert.deepEqual(filter([result("a", "FAILED"), ...late, result("b", "ok")]), [
    "a ... FAILED (1ms)",
    "------- post-test output -------",
    "late",
    "----- post-test output end -----",
    "b ... ok (1ms)",
  ]);
});

Deno.test("createQuietFilter() passes Deno's ERRORS, FAILURES and summary through untouched", () => {
  const closing = [
    "",
    "\x1b[0m\x1b[1m\x1b[37m\x1b[41m ERRORS \x1b[0m",
    "",
    `fails ${grey("=> ./a_test.ts:2:6")}`,
    "\x1b[0m\x1b[1m\x1b[31merror\x1b[0m: Error: boom",
    "a ... ok",
    "",
    "\x1b[0m\x1b[1m\x1b[37m\x1b[41m FAILURES \x1b[0m",
    "",
    `fails ${grey("=> ./a_test.ts:2:6")}`,
    "",
    `\x1b[0m\x1b[31mFAILED\x1b[0m | 1 passed | 1 failed ${grey("(520ms)")}`,
    "",
  ];
  assert.deepEqual(filter(["fails ...", ...block("x"), result("fails", "FAILED"), ...closing]), [
    "fails ...",
    "------- output -------",
    "x",
    "----- output end -----",
    "fails ... FAILED (1ms)",
    ...closing.map(plain),
  ]);
  assert.deepEqual(
    filter([result("a", "ok"), "", `\x1b[0m\x1b[32mok\x1b[0m | 1 passed | 0 failed`]),
    [
      "a ... ok (1ms)",
      "ok | 1 passed | 0 failed",
    ],
  );
});

Deno.test({
  name: "deno task test prints the logs of a failing test and not those of a passing one",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "vigil-quiet-" });
    try {
      await Deno.writeTextFile(
        `${dir}/quiet_test.ts`,
        [
          `Deno.test("a passing test logs", () => console.error('{"msg":"passing noise"}'));`,
          `Deno.test("a failing test logs", () => {`,
          `  console.error('{"msg":"failing evidence"}');`,
          `  throw new Error("deliberate failure");`,
          `});`,
        ].join("\n"),
      );
      const runner = new URL("../../scripts/test.ts", import.meta.url).pathname;
      const run = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", runner, `${dir}/quiet_test.ts`],
        env: { VIGIL_TEST_REPORT: `${dir}/report.xml`, NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stdout = new TextDecoder().decode(run.stdout);
      const stderr = new TextDecoder().decode(run.stderr);
      assert.equal(run.code, 1, stdout);
      assert.ok(stdout.includes("a failing test logs"), `the runner ran no test:\n${stderr}`);
      assert.match(stdout, /failing evidence[\s\S]*a failing test logs \.\.\. FAILED/);
      assert.doesNotMatch(stdout, /passing noise/);
      assert.match(stdout, /a passing test logs \.\.\. ok/);
      assert.match(stdout, /ERRORS[\s\S]*deliberate failure/);
      assert.match(stdout, /\n1 passed, 1 failed\n$/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
