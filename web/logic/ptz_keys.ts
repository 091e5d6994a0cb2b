/**
 * The PTZ panel's keyboard: arrows pan and tilt, `+`/`-` zoom, `h` goes home, digits go to the
 * presets in their listed order, Escape and Space stop. A move lasts while its key is held.
 *
 * @module
 */

/** What a key asks for. */
export type PtzKeyAction =
  | { kind: "move"; pan: number; tilt: number; zoom: number }
  | { kind: "stop" }
  | { kind: "home" }
  | { kind: "preset"; index: number };

/** Speed of a keyboard move (half of the camera's range: fine control). */
export const KEY_SPEED = 0.5;

const MOVES: Record<string, [number, number, number]> = {
  ArrowLeft: [-1, 0, 0],
  ArrowRight: [1, 0, 0],
  ArrowUp: [0, 1, 0],
  ArrowDown: [0, -1, 0],
  "+": [0, 0, 1],
  "=": [0, 0, 1],
  "-": [0, 0, -1],
};

/**
 * Maps a key to a PTZ action.
 *
 * @param key `KeyboardEvent.key`
 * @param speed the move speed, 0..1
 * @returns the action, or undefined for a key the panel leaves alone
 * @example
 * ```ts
 * ptzKeyAction("ArrowLeft"); // { kind: "move", pan: -0.5, tilt: 0, zoom: 0 }
 * ```
 */
export function ptzKeyAction(key: string, speed = KEY_SPEED): PtzKeyAction | undefined {
  const move = MOVES[key];
  if (move) {
    const [pan, tilt, zoom] = move.map((v) => v * speed) as [number, number, number];
    return { kind: "move", pan, tilt, zoom };
  }
  if (key === "Escape" || key === " ") return { kind: "stop" };
  if (key === "h" || key === "H" || key === "Home") return { kind: "home" };
  if (/^[1-9]$/.test(key)) return { kind: "preset", index: Number(key) - 1 };
  return undefined;
}
