/**
 * Text the console shows for times, durations, numbers and names of states.
 *
 * @module
 */

/**
 * A short local time: time of day for today, date and time otherwise.
 *
 * @param iso an ISO 8601 time
 * @param now the current time (for "today")
 * @returns e.g. `14:03:07` or `2026-11-24 14:03`
 */
export function shortTime(iso: string, now: Date = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  const sameDay = date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth() &&
    date.getDate() === now.getDate();
  if (sameDay) return time;
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  return `${day} ${time.slice(0, 5)}`;
}

/**
 * A duration in words.
 *
 * @param ms milliseconds
 * @returns e.g. `850 ms`, `12 s`, `3 min 5 s`, `2 h 4 min`
 */
export function duration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  const m = Math.floor(s / 60);
  return `${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ""}`;
}

/**
 * Bytes in binary units.
 *
 * @param n bytes
 * @returns e.g. `512 B`, `1.5 KiB`, `20.0 MiB`
 */
export function bytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/**
 * A `datetime-local` input's value as an ISO time with a zone, as the API wants.
 *
 * @param local e.g. `2026-11-25T14:00` (the browser's time zone)
 * @returns ISO 8601 UTC, or undefined for an empty or invalid value
 */
export function localToIso(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/**
 * An ISO time as a `datetime-local` input's value in the browser's time zone.
 *
 * @param iso ISO 8601
 * @param seconds include the seconds (for inputs with `step="1"`)
 * @returns e.g. `2026-11-25T14:00` (or `2026-11-25T14:00:05`), or "" when invalid
 */
export function isoToLocal(iso: string | undefined, seconds = false): string {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n: number) => String(n).padStart(2, "0");
  const day = `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}`;
  return `${day}T${time}${seconds ? `:${pad(date.getSeconds())}` : ""}`;
}
