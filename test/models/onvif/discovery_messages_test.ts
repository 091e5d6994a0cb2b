import assert from "node:assert/strict";
import {
  buildProbe,
  buildProbeMatches,
  buildScopes,
  newMessageId,
  parseProbeMatches,
  readProbe,
  readScopes,
} from "../../../models/onvif/discovery_messages.ts";
import { OnvifError } from "../../../models/onvif/onvif_error.ts";

const UUID = "5f5a69c2-e0ae-504f-829b-00fd4aa0d3a1";

/** A ProbeMatches as a Hikvision-style camera sends it (its own prefixes, extra scopes). */
function vendorReply(relatesTo: string, extra = ""): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
  xmlns:wsadis="http://schemas.xmlsoap.org/ws/2004/08/addressing"
  xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"
  xmlns:dn="http://www.onvif.org/ver10/network/wsdl">
 <env:Header>
  <wsadis:MessageID>urn:uuid:0b5f8b8e-1111-2222-3333-444455556666</wsadis:MessageID>
  <wsadis:RelatesTo>${relatesTo}</wsadis:RelatesTo>
  <wsadis:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</wsadis:To>
  <wsadis:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</wsadis:Action>
  <d:AppSequence InstanceId="1700000000" MessageNumber="12"/>
 </env:Header>
 <env:Body>
  <d:ProbeMatches>
   <d:ProbeMatch>
    <wsadis:EndpointReference><wsadis:Address>urn:uuid:${UUID.toUpperCase()}</wsadis:Address></wsadis:EndpointReference>
    <d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>
    <d:Scopes>onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/Profile/Streaming
      onvif://www.onvif.org/name/Front%20Door onvif://www.onvif.org/hardware/DS-2CD2143G0-I
      onvif://www.onvif.org/location/country/nl onvif://www.onvif.org/location/city/utrecht</d:Scopes>
    <d:XAddrs>http://192.168.1.64/onvif/device_service http://[fe80::1]/onvif/device_service ftp://x/y</d:XAddrs>
    <d:MetadataVersion>10</d:MetadataVersion>
   </d:ProbeMatch>${extra}
  </d:ProbeMatches>
 </env:Body>
</env:Envelope>`;
}

function assertRefused(xml: string, message: RegExp) {
  assert.throws(() => parseProbeMatches(xml, "uuid:ours"), (error: unknown) => {
    assert.ok(error instanceof OnvifError);
    assert.equal(error.code, "onvif_bad_reply");
    assert.match(error.message, message);
    return true;
  });
}

Deno.test("a Probe asks for NetworkVideoTransmitters and carries its message id", () => {
  const id = newMessageId();
  assert.match(id, /^uuid:[0-9a-f-]{36}$/);
  assert.deepEqual(readProbe(buildProbe(id)), {
    messageId: id,
    types: ["dn:NetworkVideoTransmitter"],
  });
});

Deno.test("parseProbeMatches() reads a vendor's reply: endpoint, XAddrs, scopes, version", () => {
  const [match, ...rest] = parseProbeMatches(vendorReply("uuid:ours"), "uuid:ours");
  assert.equal(rest.length, 0);
  assert.deepEqual(match, {
    endpointAddress: `urn:uuid:${UUID}`,
    types: ["dn:NetworkVideoTransmitter", "tds:Device"],
    scopes: [
      "onvif://www.onvif.org/type/video_encoder",
      "onvif://www.onvif.org/Profile/Streaming",
      "onvif://www.onvif.org/name/Front%20Door",
      "onvif://www.onvif.org/hardware/DS-2CD2143G0-I",
      "onvif://www.onvif.org/location/country/nl",
      "onvif://www.onvif.org/location/city/utrecht",
    ],
    xaddrs: ["http://192.168.1.64/onvif/device_service", "http://[fe80::1]/onvif/device_service"],
    metadataVersion: 10,
  });
  assert.deepEqual(readScopes(match!.scopes), {
    name: "Front Door",
    hardware: "DS-2CD2143G0-I",
    location: "country/nl/city/utrecht",
  });
});

Deno.test("buildProbeMatches() and buildScopes() make replies parseProbeMatches() reads back", () => {
  const scopes = buildScopes({ name: "Gate cam", hardware: "SimCam 1", location: "yard/north" });
  const xml = buildProbeMatches({
    relatesTo: "uuid:ours",
    endpointAddress: `urn:uuid:${UUID}`,
    xaddrs: ["http://127.0.0.1:8000/onvif/device_service"],
    scopes,
  });
  const [match] = parseProbeMatches(xml, "uuid:ours");
  assert.equal(match?.endpointAddress, `urn:uuid:${UUID}`);
  assert.deepEqual(readScopes(match!.scopes), {
    name: "Gate cam",
    hardware: "SimCam 1",
    location: "yard/north",
  });
});

Deno.test("readScopes() tolerates bad percent-encoding and missing scopes", () => {
  assert.deepEqual(
    readScopes(["onvif://www.onvif.org/name/100%", "onvif://www.onvif.org/name/second"]),
    {
      name: "100%",
      hardware: undefined,
      location: undefined,
    },
  );
  assert.deepEqual(readScopes([]), { name: undefined, hardware: undefined, location: undefined });
});

Deno.test("parseProbeMatches() refuses hostile and useless replies", async (t) => {
  await t.step("a reply to another probe", () => {
    assertRefused(vendorReply("uuid:someone-else"), /relates to "uuid:someone-else"/);
  });
  await t.step("an entity-laden reply", () => {
    assertRefused(
      `<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>` + vendorReply("&b;"),
      /DOCTYPE and ENTITY/,
    );
  });
  await t.step("a huge reply", () => {
    assertRefused(
      vendorReply("uuid:ours", `<d:ProbeMatch>${"<x/>".repeat(10_000)}</d:ProbeMatch>`),
      /over the 32768 limit/,
    );
  });
  await t.step("truncated XML", () => {
    assertRefused(vendorReply("uuid:ours").slice(0, 400), /never closed|unterminated/);
  });
  await t.step("not a ProbeMatches", () => {
    assertRefused(buildProbe("uuid:x"), /expected ProbeMatches, got <Probe>/);
  });
  await t.step("no usable XAddr", () => {
    assertRefused(
      vendorReply("uuid:ours").replace(
        /<d:XAddrs>.*<\/d:XAddrs>/,
        "<d:XAddrs>file:///etc/passwd</d:XAddrs>",
      ),
      /no ProbeMatch with an endpoint address and an http\(s\) XAddr/,
    );
  });
});

Deno.test("parseProbeMatches() skips an endpoint address with a NUL or spaces (found by the fuzzer)", () => {
  const reply = (endpointAddress: string) =>
    buildProbeMatches({
      relatesTo: "urn:uuid:00000000-0000-4000-8000-000000000001",
      endpointAddress,
      xaddrs: ["http://192.168.1.20/onvif/device_service"],
      scopes: [],
    });
  for (const address of ["x\u0000y", "urn:uuid:0000 x", "a\tb"]) {
    assert.throws(() => parseProbeMatches(reply(address)), OnvifError, JSON.stringify(address));
  }
  assert.equal(parseProbeMatches(reply(" urn:uuid:X ")).length, 1, "trimmed is fine");
});
