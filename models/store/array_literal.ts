/**
 * PostgreSQL array literals: a batch's columns are sent as one literal string each, which skips
 * postgres.js's per-element array serialization (the largest client-side cost of a batch).
 *
 * @module
 */
import type { SqlValue } from "./table_spec.ts";

/**
 * Formats values as a PostgreSQL array literal (`{1,NULL,"a \\"b\\""}`). Sending each column as
 * one literal string skips postgres.js's per-element array serialization, which was the largest
 * client-side cost of a batch; strings are always quoted, so `"NULL"` stays a string.
 *
 * @param values one column of a batch
 * @returns the literal
 * @example
 * ```ts
 * arrayLiteral([1, null, 'say "hi"']); // '{1,NULL,"say \\"hi\\""}'
 * ```
 */
export function arrayLiteral(values: readonly SqlValue[]): string {
  let out = "{";
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) out += ",";
    if (value === null || value === undefined) out += "NULL";
    else if (typeof value === "number") out += String(value);
    else if (typeof value === "boolean") out += value ? "t" : "f";
    else out += `"${value.replace(/[\\"]/g, "\\$&")}"`;
  }
  return `${out}}`;
}
