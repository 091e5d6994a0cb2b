import assert from "node:assert/strict";
import { isRowError, isUniqueViolation } from "../../../models/store/pg_errors.ts";

Deno.test("isRowError() tells refused rows from outages", () => {
  const withCode = (code: string) => Object.assign(new Error("x"), { code });
  assert.equal(isRowError(withCode("23503")), true, "foreign key violation");
  assert.equal(isRowError(withCode("22P02")), true, "invalid text representation");
  assert.equal(isRowError(withCode("57P01")), false, "admin shutdown");
  assert.equal(isRowError(withCode("ECONNREFUSED")), false);
  assert.equal(isRowError(withCode("CONNECTION_CLOSED")), false);
  assert.equal(isRowError(new Error("no code")), false);
});

Deno.test("isUniqueViolation() is SQLSTATE 23505 only", () => {
  assert.equal(isUniqueViolation(Object.assign(new Error("x"), { code: "23505" })), true);
  assert.equal(isUniqueViolation({ code: "23505" }), true, "postgres.js errors may be plain");
  assert.equal(isUniqueViolation(Object.assign(new Error("x"), { code: "23503" })), false);
  assert.equal(isUniqueViolation("23505"), false);
});
