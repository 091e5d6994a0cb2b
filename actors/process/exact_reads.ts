/**
 * Fixed-size records from a child's stdout (raw video pictures): each read fills a fresh buffer
 * of exactly `size` bytes, however the pipe happened to chunk them. The one implementation of
 * the exact-size read; it reads into the buffer it hands out (BYOB), so a picture is never copied.
 *
 * @module
 */

/**
 * Reads a byte stream as consecutive records of `size` bytes.
 *
 * @param stream a byte stream (a child's stdout is one)
 * @param size bytes per record
 * @returns fresh buffers the caller may keep; a partial record at the end of the stream is dropped
 * @throws {RangeError} when `size` is not a positive integer
 * @throws whatever reading the stream throws
 * @example
 * ```ts
 * for await (const picture of readExactly(child.stdout, 640 * 360 * 3)) slot.put(picture);
 * ```
 */
export async function* readExactly(
  stream: ReadableStream<Uint8Array<ArrayBuffer>>,
  size: number,
): AsyncGenerator<Uint8Array<ArrayBuffer>, void, undefined> {
  if (!Number.isInteger(size) || size <= 0) {
    throw new RangeError(
      `Cannot read records as 'size' must be a positive integer: current value is ${size}`,
    );
  }
  const reader = stream.getReader({ mode: "byob" });
  try {
    for (;;) {
      let buf = new Uint8Array(size);
      let filled = 0;
      while (filled < size) {
        const { value, done } = await reader.read(buf.subarray(filled));
        if (done || value === undefined) return;
        filled += value.byteLength;
        // The read transferred the buffer; keep the new one.
        buf = new Uint8Array(value.buffer, 0, size);
      }
      yield buf;
    }
  } finally {
    reader.releaseLock();
  }
}
