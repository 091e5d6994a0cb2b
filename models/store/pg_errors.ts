/**
 * Classifies errors PostgreSQL reports (through postgres.js, which sets `code` to the SQLSTATE).
 *
 * @module
 */

/**
 * Tells whether a write error is about the rows themselves (SQLSTATE class 22 data exception or
 * 23 integrity violation, e.g. a camera deleted while its rows were buffered): retrying cannot
 * help. Everything else (connection refused or lost, server shutting down, timeouts) is treated
 * as an outage and retried.
 *
 * @param error what the driver threw
 * @returns true when the rows should be dropped rather than retried
 */
export function isRowError(error: unknown): boolean {
  return /^2[23][0-9A-Z]{3}$/.test(sqlState(error) ?? "");
}

/**
 * Tells whether an error is a unique violation (SQLSTATE 23505): a duplicate name, or a row
 * already written.
 *
 * @param error what the driver threw
 * @returns true for a unique violation
 */
export function isUniqueViolation(error: unknown): boolean {
  return sqlState(error) === "23505";
}

/**
 * Tells whether a write names a row that does not exist (SQLSTATE 23503, a foreign key
 * violation: a camera pinned to a box that never registered).
 *
 * @param error what the driver threw
 * @returns true for a foreign key violation
 */
export function isForeignKeyViolation(error: unknown): boolean {
  return sqlState(error) === "23503";
}

/**
 * Tells whether a write was refused by the lease fence (SQLSTATE VL001 from `vigil_fence`): the
 * box no longer holds the camera at the epoch it wrote with. Retrying cannot help; the rows are
 * another owner's business now.
 *
 * @param error what the driver threw
 * @returns true for a fenced write
 */
export function isFenceError(error: unknown): boolean {
  return sqlState(error) === "VL001";
}

function sqlState(error: unknown): string | undefined {
  const code = typeof error === "object" && error !== null && "code" in error
    ? error.code
    : undefined;
  return typeof code === "string" ? code : undefined;
}
