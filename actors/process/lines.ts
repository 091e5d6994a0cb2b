/**
 * A child's output as text lines: the one line splitter of the process layer. Lines end at `\n`
 * or `\r\n` (ffmpeg's bare `\r` progress redraws stay inside a line).
 *
 * @module
 */

/** How {@linkcode readLines} treats text after the last line end. */
export interface ReadLinesOptions {
  /**
   * Yield the unterminated rest at the end of the stream. Right for messages (stderr); wrong for
   * line records (a segment list), where it is a torn record. Default false.
   */
  keepUnterminated?: boolean;
}

/**
 * Reads a byte stream as UTF-8 lines, without their line ends.
 *
 * @param stream a child's stdout or stderr
 * @param options what to do with an unterminated last line
 * @returns the lines, in order
 * @throws whatever reading the stream throws
 * @example
 * ```ts
 * for await (const line of readLines(child.stdout)) console.log(line);
 * ```
 */
export async function* readLines(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
  options: ReadLinesOptions = {},
): AsyncGenerator<string, void, undefined> {
  let rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    const lines = (rest + chunk).split(/\r?\n/);
    rest = lines.pop() ?? "";
    yield* lines;
  }
  if (options.keepUnterminated && rest !== "") yield rest;
}
