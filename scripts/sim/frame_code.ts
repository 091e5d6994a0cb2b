/**
 * A frame counter burned into a picture so that it survives H.264 and scaling and can be read
 * back by a machine: a band of 24 large black/white blocks along the top edge — the frame number
 * (16 bits) and the complement of its low byte (8 bits) as a check, so a misread block is caught.
 * Latency benchmarks draw it into the frames a simulated camera sends and read it from the frames
 * a viewer receives.
 *
 * @module
 */

/** Blocks in the band. */
export const CODE_BLOCKS = 24;

/** Side of one block in pixels for a frame width (the band spans 3/4 of the width). */
export function blockSize(width: number): number {
  return Math.floor((width * 3) / 4 / CODE_BLOCKS);
}

/** The 24 bits of frame `n`: 16 of the counter, 8 check bits. */
function bits(n: number): number[] {
  const counter = n & 0xffff;
  const check = ~counter & 0xff;
  return Array.from(
    { length: CODE_BLOCKS },
    (_, i) => i < 16 ? (counter >> (15 - i)) & 1 : (check >> (23 - i)) & 1,
  );
}

/**
 * Draws the code of frame `n` into a luma plane (the Y plane of yuv420p, or a gray frame).
 *
 * @param luma the plane, `width * height` bytes, changed in place
 * @param width frame width
 * @param n the frame number (mod 65536)
 */
export function drawFrameCode(luma: Uint8Array, width: number, n: number): void {
  const size = blockSize(width);
  bits(n).forEach((bit, i) => {
    for (let y = 0; y < size; y++) {
      luma.fill(bit ? 235 : 16, y * width + i * size, y * width + (i + 1) * size);
    }
  });
}

/**
 * Reads the code back from a received luma plane (any size with the sender's aspect).
 *
 * @param luma the plane
 * @param width frame width
 * @returns the frame number (mod 65536), or undefined when the check fails
 */
export function readFrameCode(luma: Uint8Array, width: number): number | undefined {
  const size = blockSize(width);
  const half = Math.floor(size / 2);
  const read: number[] = [];
  for (let i = 0; i < CODE_BLOCKS; i++) {
    let sum = 0;
    for (let dy = -1; dy <= 1; dy++) {
      for (let dx = -1; dx <= 1; dx++) sum += luma[(half + dy) * width + i * size + half + dx]!;
    }
    read.push(sum / 9 > 128 ? 1 : 0);
  }
  const counter = read.slice(0, 16).reduce((v, b) => (v << 1) | b, 0);
  const check = read.slice(16).reduce((v, b) => (v << 1) | b, 0);
  return check === (~counter & 0xff) ? counter : undefined;
}
