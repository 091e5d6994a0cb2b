/**
 * Splits a stream of concatenated JPEG images (`ffmpeg -f mjpeg pipe:1`) into whole images, and
 * frames them as `multipart/x-mixed-replace` parts for MJPEG viewers.
 *
 * An image runs from its SOI marker (FF D8) to its EOI marker (FF D9). Inside the entropy-coded
 * data a literal FF is always followed by 00 (byte stuffing) or a restart marker (D0–D7), so the
 * first FF D9 after an SOI ends the image. ffmpeg's encoder writes no embedded thumbnails, which
 * would nest a second SOI/EOI pair.
 *
 * @module
 */

/** Largest image accepted; a stream that never closes an image is cut here and resynchronised. */
export const MAX_JPEG_BYTES = 8 * 1024 * 1024;

/**
 * Incremental JPEG splitter.
 *
 * @example
 * ```ts
 * const splitter = new JpegSplitter();
 * for await (const chunk of ffmpeg.stdout) for (const jpeg of splitter.push(chunk)) send(jpeg);
 * ```
 */
export class JpegSplitter {
  #buf = new Uint8Array(1 << 16);
  #len = 0;
  #scan = 0;
  /** Images dropped because they grew past {@linkcode MAX_JPEG_BYTES}. */
  dropped = 0;

  /**
   * Adds bytes and returns the images they complete.
   *
   * @param chunk the next bytes
   * @returns whole JPEG images (owned by the receiver)
   */
  push(chunk: Uint8Array): Uint8Array[] {
    this.#append(chunk);
    const out: Uint8Array[] = [];
    for (;;) {
      const start = this.#find(0xd8, 0);
      if (start < 0) {
        // Keep a trailing FF: it may be the first half of the next SOI.
        this.#drop(this.#len > 0 && this.#buf[this.#len - 1] === 0xff ? this.#len - 1 : this.#len);
        return out;
      }
      if (start > 0) this.#drop(start);
      const end = this.#find(0xd9, Math.max(2, this.#scan));
      if (end < 0) {
        this.#scan = Math.max(2, this.#len - 1);
        if (this.#len > MAX_JPEG_BYTES) {
          this.dropped++;
          this.#drop(2);
        }
        return out;
      }
      out.push(this.#buf.slice(0, end + 2));
      this.#drop(end + 2);
    }
  }

  /** Index of the next FF `marker` at or after `from`, or -1. */
  #find(marker: number, from: number): number {
    for (let i = from; i + 1 < this.#len; i++) {
      if (this.#buf[i] === 0xff && this.#buf[i + 1] === marker) return i;
    }
    return -1;
  }

  #drop(n: number): void {
    this.#buf.copyWithin(0, n, this.#len);
    this.#len -= n;
    this.#scan = 0;
  }

  #append(chunk: Uint8Array): void {
    if (this.#len + chunk.length > this.#buf.length) {
      let size = this.#buf.length;
      while (size < this.#len + chunk.length) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(chunk, this.#len);
    this.#len += chunk.length;
  }
}

/** The multipart boundary of MJPEG responses. */
export const MJPEG_BOUNDARY = "vigilframe";
/** Content type of an MJPEG response. */
export const MJPEG_CONTENT_TYPE = `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`;

/**
 * Frames one JPEG as a part of a `multipart/x-mixed-replace` response.
 *
 * @param jpeg the image
 * @returns the part: boundary, headers, image, CRLF
 * @example
 * ```ts
 * mjpegPart(jpeg); // "--vigilframe\r\nContent-Type: image/jpeg\r\nContent-Length: 1234\r\n\r\n…\r\n"
 * ```
 */
export function mjpegPart(jpeg: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode(
    `--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`,
  );
  const part = new Uint8Array(head.length + jpeg.length + 2);
  part.set(head);
  part.set(jpeg, head.length);
  part.set([13, 10], head.length + jpeg.length);
  return part;
}

/**
 * Whether bytes look like a complete JPEG: SOI marker at the start, EOI at the end.
 *
 * @param bytes candidate
 * @returns true when both markers are present
 * @example
 * ```ts
 * isJpeg(new Uint8Array([0xff, 0xd8, 0xff, 0xd9])); // true
 * ```
 */
export function isJpeg(bytes: Uint8Array): boolean {
  const n = bytes.byteLength;
  return n >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[n - 2] === 0xff &&
    bytes[n - 1] === 0xd9;
}
