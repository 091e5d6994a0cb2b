/**
 * The filter behind a quiet `deno task test`: passes `deno test`'s report through and holds back
 * what the tests printed (server logs, ffmpeg, console) until the test's result is known. A test
 * that passes or is ignored has its output dropped; a failing one has it printed just before its
 * `FAILED` line. Deno's closing ERRORS/FAILURES sections and summary always pass through.
 *
 * It reads the pretty reporter as Deno 2.9 writes it to a pipe (seen by experiment):
 * - `running N tests from ./file`, then per test `name ... ok (5ms)` on one line, or, when the test
 *   printed something, `name ...` alone, a block framed by `------- output -------` and
 *   `----- output end -----` (or `post-test output`), then `name ... ok (5ms)` again;
 * - steps the same, indented by two spaces per level;
 * - output without a final newline runs into the end marker (`partial----- output end -----`);
 * - after a minute Deno adds `'name' has been running for over (1m0s)`: glued to a bare
 *   `name ...` whose result then comes alone (` ok (1m1s)`), or as a line inside the block;
 * - `Uncaught error from ./file FAILED` when a file dies outside a test.
 *
 * @module
 */
import { stripVTControlCharacters } from "node:util";

const BLOCK_START = /^-+ (?:[\w-]+ )?output -+$/;
const BLOCK_END = /-+ (?:[\w-]+ )?output end -+$/;
const STATUS = "(ok|ignored|FAILED|cancelled|INCOMPLETE)";
const RESULT = new RegExp(`^(\\s*)(.*?) \\.\\.\\. ${STATUS}(?: |$)`);
const BARE_RESULT = new RegExp(`^ ${STATUS}(?: |$)`);
const START = /^(\s*)(.*) \.\.\.$/;
const RUNNING_LONG = /'.*' has been running for over \(.*\)$/;
// A quiet test's `name ...` with the one-minute notice glued on: its result comes alone later.
const STARTED_LONG = /^(\s*)(.*) \.\.\.'\2' has been running for over \(.*\)$/;
const UNCAUGHT = /^Uncaught error from .* FAILED/;
const FILE_HEADER = /^running \d+ tests? from /;
const CLOSING = /^ (ERRORS|FAILURES) $|^(ok|FAILED) \| \d+ passed/;

/** A test or step that started printing and has no result yet. */
interface Frame {
  /** Indentation plus name, as its result line repeats it. */
  key: string;
  /** Its `name ...` line. */
  start: string;
  /** Whether the start line was already printed (a step below it reported first). */
  shown: boolean;
  /** What it printed so far. */
  held: string[];
}

/** A streaming filter of `deno test` output; feed it text, print what it returns. */
export interface QuietFilter {
  /**
   * Takes the next chunk of `deno test`'s stdout.
   *
   * @param text any piece of the stream (lines may be split across chunks)
   * @returns the text to print now (complete lines)
   */
  write(text: string): string;
  /**
   * Ends the stream: whatever is still held (a test cut off by a crash) is printed.
   *
   * @returns the text to print
   */
  end(): string;
}

/**
 * Creates the filter that keeps a passing test's output out of the log.
 *
 * @returns a fresh {@linkcode QuietFilter}
 * @example
 * ```ts
 * const filter = createQuietFilter();
 * filter.write("a ...\n------- output -------\nnoise\n----- output end -----\na ... ok (1ms)\n");
 * // "a ... ok (1ms)\n"
 * ```
 */
export function createQuietFilter(): QuietFilter {
  let partial = "";
  let inBlock = false;
  let closing = false;
  let afterFailure = false;
  const frames: Frame[] = [];
  let loose: string[] = [];
  const out: string[] = [];

  const hold = (line: string) => {
    const top = frames.at(-1);
    if (top) top.held.push(line);
    else if (afterFailure) out.push(line);
    else loose.push(line);
  };
  const showStarts = () => {
    for (const frame of frames) {
      if (!frame.shown) out.push(frame.start);
      frame.shown = true;
    }
  };
  // Tests without a result (their file died, or the run ends) are shown as failures are.
  const releaseFrames = () => {
    for (const frame of frames) {
      if (!frame.shown) out.push(frame.start);
      out.push(...frame.held);
    }
    frames.length = 0;
  };
  const result = (line: string, key: string | undefined, status: string) => {
    const at = key === undefined ? frames.length - 1 : frames.findLastIndex((f) => f.key === key);
    let own: Frame | undefined;
    if (at >= 0) {
      // Frames above it never reported: what they printed belongs to this result.
      own = frames[at]!;
      for (const inner of frames.slice(at + 1)) own.held.push(inner.start, ...inner.held);
      frames.length = at;
    }
    const failed = status !== "ok" && status !== "ignored";
    if (failed || frames.length > 0) showStarts();
    if (failed) {
      if (frames.length === 0) out.push(...loose);
      if (own && !own.shown) out.push(own.start);
      if (own) out.push(...own.held);
    }
    if (frames.length === 0) {
      loose = [];
      afterFailure = failed;
    }
    out.push(line);
  };

  const line = (raw: string) => {
    const plain = stripVTControlCharacters(raw);
    if (closing) return void out.push(raw);
    if (inBlock) {
      if (RUNNING_LONG.test(plain)) return void out.push(raw);
      hold(raw);
      if (BLOCK_END.test(plain)) inBlock = false;
      return;
    }
    if (BLOCK_START.test(plain)) {
      inBlock = true;
      return hold(raw);
    }
    if (CLOSING.test(plain)) {
      releaseFrames();
      loose = [];
      closing = true;
      return void out.push(raw);
    }
    if (FILE_HEADER.test(plain)) {
      releaseFrames();
      return void out.push(raw);
    }
    if (UNCAUGHT.test(plain)) {
      releaseFrames();
      out.push(...loose, raw);
      loose = [];
      afterFailure = true;
      return;
    }
    const glued = STARTED_LONG.exec(plain);
    if (glued) {
      frames.push({ key: glued[1]! + glued[2]!, start: raw, shown: true, held: [] });
      return void out.push(raw);
    }
    if (RUNNING_LONG.test(plain)) return void out.push(raw);
    const done = RESULT.exec(plain);
    if (done) return result(raw, done[1]! + done[2]!, done[3]!);
    const bare = BARE_RESULT.exec(plain);
    if (bare && frames.length > 0) return result(raw, undefined, bare[1]!);
    const start = START.exec(plain);
    if (start) {
      frames.push({ key: start[1]! + start[2]!, start: raw, shown: false, held: [] });
      return;
    }
    hold(raw);
  };

  const take = () => {
    const text = out.length > 0 ? out.join("\n") + "\n" : "";
    out.length = 0;
    return text;
  };
  return {
    write(text) {
      const lines = (partial + text).split("\n");
      partial = lines.pop()!;
      for (const each of lines) line(each);
      return take();
    },
    end() {
      if (partial !== "") line(partial);
      partial = "";
      inBlock = false;
      releaseFrames();
      out.push(...loose);
      loose = [];
      return take();
    },
  };
}
