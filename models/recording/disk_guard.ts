/**
 * The disk guard's arithmetic: `VIGIL_RECORDINGS_MIN_FREE` (free space to keep on the recordings'
 * file system, `10%` or `20GB`) and `VIGIL_RECORDINGS_MAX_SIZE` (a quota on what recordings may
 * use, `500GB`), and how many bytes of the oldest segments must go to satisfy both. Pure.
 *
 * Sizes: a bare number is bytes; `KB`/`MB`/`GB`/`TB` are powers of 1000 and `KiB`/`MiB`/`GiB`/
 * `TiB` powers of 1024, as disks and `df -H`/`df -h` count them.
 *
 * @module
 */
import { ValidationError } from "../errors.ts";

/** Free space to keep: a share of the file system or an amount. */
export type MinFree = { percent: number } | { bytes: number };

const UNITS: Record<string, number> = {
  "": 1,
  B: 1,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KIB: 1024,
  MIB: 1024 ** 2,
  GIB: 1024 ** 3,
  TIB: 1024 ** 4,
};

/**
 * Reads a size such as `20GB`, `512 MiB` or `1073741824`.
 *
 * @param raw the text
 * @param name the setting, for the message
 * @returns bytes
 * @throws {ValidationError} naming the setting
 * @example
 * ```ts
 * parseSize("20GB", "VIGIL_RECORDINGS_MAX_SIZE"); // 20_000_000_000
 * ```
 */
export function parseSize(raw: string, name: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*$/i.exec(raw);
  const unit = UNITS[(m?.[2] ?? "").toUpperCase()];
  const bytes = m && unit ? Math.round(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 0) {
    throw new ValidationError(
      `config: ${name} must be a size like 20GB, 512MiB or a number of bytes: ` +
        `current value is ${JSON.stringify(raw)}`,
      name,
    );
  }
  return bytes;
}

/**
 * Reads `VIGIL_RECORDINGS_MIN_FREE`.
 *
 * @param raw `10%`, `20GB`...
 * @returns the rule
 * @throws {ValidationError} on anything else (a percentage must be below 100)
 * @example
 * ```ts
 * parseMinFree("10%"); // { percent: 10 }
 * ```
 */
export function parseMinFree(raw: string): MinFree {
  const percent = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(raw);
  if (percent) {
    const value = Number(percent[1]);
    if (value < 100) return { percent: value };
    throw new ValidationError(
      `config: VIGIL_RECORDINGS_MIN_FREE must be below 100%: current value is ${
        JSON.stringify(raw)
      }`,
      "VIGIL_RECORDINGS_MIN_FREE",
    );
  }
  return { bytes: parseSize(raw, "VIGIL_RECORDINGS_MIN_FREE") };
}

/** The disk as the guard sees it. */
export interface DiskState {
  /** Bytes available to Vigil on the recordings' file system. */
  free: number;
  /** Size of that file system. */
  total: number;
  /** Bytes the indexed segments take. */
  used: number;
}

/**
 * How many bytes of segments must be deleted.
 *
 * @param disk free, total and used bytes
 * @param rules the minimum free space and the quota (either may be absent)
 * @returns bytes to free, 0 when both hold
 * @example
 * ```ts
 * bytesToFree({ free: 5e9, total: 100e9, used: 50e9 }, { minFree: { percent: 10 } }); // 5e9
 * ```
 */
export function bytesToFree(
  disk: DiskState,
  rules: { minFree?: MinFree; maxSize?: number },
): number {
  let need = 0;
  if (rules.minFree) {
    const wanted = "percent" in rules.minFree
      ? Math.ceil(disk.total * rules.minFree.percent / 100)
      : rules.minFree.bytes;
    need = Math.max(need, wanted - disk.free);
  }
  if (rules.maxSize !== undefined) need = Math.max(need, disk.used - rules.maxSize);
  return Math.max(0, need);
}

/**
 * The oldest segments whose sizes add up to `need`.
 *
 * @param oldestFirst candidates, oldest first
 * @param need bytes to free
 * @returns the prefix to delete
 * @example
 * ```ts
 * pickOldest([{ id: "a", bytes: 10 }, { id: "b", bytes: 10 }], 15); // both
 * ```
 */
export function pickOldest<T extends { bytes: number }>(
  oldestFirst: readonly T[],
  need: number,
): T[] {
  const picked: T[] = [];
  let freed = 0;
  for (const candidate of oldestFirst) {
    if (freed >= need) break;
    picked.push(candidate);
    freed += candidate.bytes;
  }
  return picked;
}
