import assert from "node:assert/strict";
import { OnvifError } from "../../../models/onvif/onvif_error.ts";
import {
  buildEnvelope,
  buildFault,
  isAuthFault,
  parseEnvelope,
  readFault,
  readResponse,
} from "../../../models/onvif/soap.ts";
import { createUsernameToken, readUsernameToken } from "../../../models/onvif/ws_security.ts";

function assertOnvifError(run: () => unknown, code: string, message: RegExp) {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof OnvifError, `expected an OnvifError, got ${error}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

Deno.test("buildEnvelope() writes a body a SOAP reader finds, with the token in the header", () => {
  const token = createUsernameToken({ username: "admin", password: "pw" });
  const { header, content } = parseEnvelope(buildEnvelope("<tds:GetDeviceInformation/>", token));
  assert.equal(content.name, "GetDeviceInformation");
  assert.deepEqual(readUsernameToken(header), token);
  assert.equal(parseEnvelope(buildEnvelope("<tds:GetSystemDateAndTime/>")).header, undefined);
});

Deno.test("readResponse() returns the response element of a normal reply", () => {
  const response = readResponse(
    buildEnvelope("<tds:GetHostnameResponse><tds:Name>cam</tds:Name></tds:GetHostnameResponse>"),
    "GetHostname",
  );
  assert.equal(response.name, "GetHostnameResponse");
});

Deno.test("readResponse() turns an authentication fault into onvif_unauthorized", async (t) => {
  const faults = {
    "ONVIF NotAuthorized subcode": buildFault({
      code: "Sender",
      subcode: "ter:NotAuthorized",
      reason: "Sender not Authorized",
    }),
    "WS-Security FailedAuthentication": buildFault({
      code: "Sender",
      subcode: "wsse:FailedAuthentication",
      reason: "x",
    }),
    "a reason that says so": buildFault({
      code: "Sender",
      reason: "The action requested requires authorization and the sender is not authorized",
    }),
  };
  for (const [name, xml] of Object.entries(faults)) {
    await t.step(name, () => {
      assertOnvifError(
        () => readResponse(xml, "GetProfiles"),
        "onvif_unauthorized",
        /^onvif: GetProfiles refused the credentials/,
      );
    });
  }
});

Deno.test("readResponse() turns other faults into onvif_fault naming code and reason", () => {
  const xml = buildFault({
    code: "Receiver",
    subcode: "ter:ActionNotSupported",
    reason: "no such action",
  });
  assertOnvifError(
    () => readResponse(xml, "GetProfiles"),
    "onvif_fault",
    /GetProfiles failed with a SOAP fault \(Receiver\/ActionNotSupported: no such action\)/,
  );
  const error = (() => {
    try {
      readResponse(xml, "GetProfiles");
    } catch (e) {
      return e;
    }
  })();
  assert.ok(error instanceof OnvifError);
  assert.equal(error.status, 502);
});

Deno.test("readFault() reads SOAP 1.1 faults from old firmware", () => {
  const { content } = parseEnvelope(
    `<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>` +
      `<SOAP-ENV:Fault><faultcode>SOAP-ENV:Client</faultcode><faultstring>Not Authorized</faultstring>` +
      `</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>`,
  );
  const fault = readFault(content);
  assert.deepEqual(fault, { code: "Client", subcodes: [], reason: "Not Authorized" });
  assert.equal(isAuthFault(fault), true);
});

Deno.test("parseEnvelope() refuses what is not a SOAP envelope", () => {
  assertOnvifError(
    () => parseEnvelope("<html><body/></html>"),
    "onvif_bad_reply",
    /<html>, not a SOAP envelope/,
  );
  assertOnvifError(
    () => parseEnvelope(`<s:Envelope xmlns:s="x"><s:Body/></s:Envelope>`),
    "onvif_bad_reply",
    /empty body/,
  );
});
