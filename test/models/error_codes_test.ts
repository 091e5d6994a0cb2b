import assert from "node:assert/strict";
import { ERROR_CODES, isDetectorErrorCode } from "../../models/error_codes.ts";
import { NotFoundError, ValidationError, VigilError } from "../../models/errors.ts";
import { DetectorError } from "../../models/detectors/detector_error.ts";
import { OnvifError } from "../../models/onvif/onvif_error.ts";

Deno.test("every error code is snake_case with an error status and a meaning", () => {
  for (const [code, { status, meaning }] of Object.entries(ERROR_CODES)) {
    assert.match(code, /^[a-z]+(_[a-z]+)*$/, code);
    assert.ok(status >= 400 && status <= 599, `${code}: ${status}`);
    assert.ok(meaning.length > 0, code);
  }
});

Deno.test("errors answer the catalogue's status for their code", () => {
  assert.equal(new VigilError("too_many_requests", "slow down").status, 429);
  assert.equal(new NotFoundError("camera x").status, 404);
  assert.equal(new OnvifError("onvif_unauthorized", "onvif: refused").status, 422);
  assert.equal(new OnvifError("onvif_timeout", "onvif: silent").status, 504);
});

Deno.test("a detector's configuration problem is 422, a failure at run time 503", () => {
  assert.equal(new DetectorError("labels_empty", "detector: empty").status, 422);
  for (const code of ["detector_closed", "inference_failed", "worker_crashed"] as const) {
    assert.equal(new DetectorError(code, "detector: down").status, 503, code);
  }
});

Deno.test("a ValidationError is 422 unless the request was malformed (400)", () => {
  assert.equal(new ValidationError("fps must be at most 30", "fps").status, 422);
  assert.equal(new ValidationError("cursor is not valid", "cursor", 400).status, 400);
  assert.equal(new ValidationError("x", "x", 400).code, "invalid_input");
});

Deno.test("isDetectorErrorCode() knows the detector section only", () => {
  assert.equal(isDetectorErrorCode("worker_crashed"), true);
  assert.equal(isDetectorErrorCode("not_found"), false);
  assert.equal(isDetectorErrorCode("toString"), false);
});
