import assert from "node:assert/strict";
import {
  clockOffset,
  normalizeEndpointAddress,
  parseXaddr,
  readCapabilitiesMediaXaddr,
  readDeviceInformation,
  readEndpointReference,
  readHwAddresses,
  readServicesMediaXaddr,
  readSystemDateAndTime,
} from "../../../models/onvif/device_replies.ts";
import { readMediaUri, readProfiles } from "../../../models/onvif/media_replies.ts";
import { OnvifError } from "../../../models/onvif/onvif_error.ts";
import { readResponse } from "../../../models/onvif/soap.ts";

/** A reply as a camera with its own prefixes would send it. */
function reply(body: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?><SOAP-ENV:Envelope ` +
    `xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope" xmlns:tt="http://www.onvif.org/ver10/schema">` +
    `<SOAP-ENV:Body>${body}</SOAP-ENV:Body></SOAP-ENV:Envelope>`;
}

Deno.test("readSystemDateAndTime() reads the UTC time and clockOffset() the skew from it", () => {
  const response = readResponse(
    reply(
      `<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>` +
        `<tt:UTCDateTime><tt:Time><tt:Hour>12</tt:Hour><tt:Minute>30</tt:Minute><tt:Second>5</tt:Second>` +
        `</tt:Time><tt:Date><tt:Year>2026</tt:Year><tt:Month>11</tt:Month><tt:Day>25</tt:Day></tt:Date>` +
        `</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>`,
    ),
    "GetSystemDateAndTime",
  );
  const deviceMs = readSystemDateAndTime(response);
  assert.equal(deviceMs, Date.UTC(2026, 10, 25, 12, 30, 5));
  const local = Date.UTC(2026, 10, 25, 10, 30, 5);
  assert.equal(clockOffset(deviceMs!, local - 100, local + 100), 2 * 3_600_000);
});

Deno.test("readSystemDateAndTime() returns undefined for a reply without a usable date", () => {
  const response = readResponse(
    reply(
      `<GetSystemDateAndTimeResponse><SystemDateAndTime><UTCDateTime><Time><Hour>99</Hour>` +
        `<Minute>0</Minute><Second>0</Second></Time><Date><Year>2026</Year><Month>1</Month><Day>1</Day>` +
        `</Date></UTCDateTime></SystemDateAndTime></GetSystemDateAndTimeResponse>`,
    ),
    "GetSystemDateAndTime",
  );
  assert.equal(readSystemDateAndTime(response), undefined);
});

Deno.test("readDeviceInformation() reads the identity, missing fields empty", () => {
  const info = readDeviceInformation(readResponse(
    reply(
      `<tds:GetDeviceInformationResponse><tds:Manufacturer>ACME</tds:Manufacturer>` +
        `<tds:Model>X1</tds:Model><tds:SerialNumber>42</tds:SerialNumber></tds:GetDeviceInformationResponse>`,
    ),
    "GetDeviceInformation",
  ));
  assert.deepEqual(info, {
    manufacturer: "ACME",
    model: "X1",
    firmwareVersion: "",
    serialNumber: "42",
    hardwareId: "",
  });
});

Deno.test("the media XAddr is read from GetServices or from GetCapabilities", () => {
  const services = readResponse(
    reply(
      `<tds:GetServicesResponse><tds:Service><tds:Namespace>http://www.onvif.org/ver10/device/wsdl` +
        `</tds:Namespace><tds:XAddr>http://cam/onvif/device_service</tds:XAddr></tds:Service><tds:Service>` +
        `<tds:Namespace>http://www.onvif.org/ver10/media/wsdl</tds:Namespace>` +
        `<tds:XAddr>http://cam/onvif/Media</tds:XAddr></tds:Service></tds:GetServicesResponse>`,
    ),
    "GetServices",
  );
  assert.equal(readServicesMediaXaddr(services), "http://cam/onvif/Media");
  const capabilities = readResponse(
    reply(
      `<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Media><tt:XAddr>http://cam/media</tt:XAddr>` +
        `</tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>`,
    ),
    "GetCapabilities",
  );
  assert.equal(readCapabilitiesMediaXaddr(capabilities), "http://cam/media");
  assert.equal(readServicesMediaXaddr(capabilities), undefined);
});

Deno.test("endpoint addresses are normalized to urn:uuid in lowercase", () => {
  const uuid = "0A1B2C3D-0000-4000-8000-00000000000F";
  assert.equal(normalizeEndpointAddress(uuid), `urn:uuid:${uuid.toLowerCase()}`);
  assert.equal(normalizeEndpointAddress(`uuid:${uuid}`), `urn:uuid:${uuid.toLowerCase()}`);
  assert.equal(normalizeEndpointAddress(" http://device/1 "), "http://device/1");
  const response = readResponse(
    reply(
      `<tds:GetEndpointReferenceResponse><tds:GUID>${uuid}</tds:GUID></tds:GetEndpointReferenceResponse>`,
    ),
    "GetEndpointReference",
  );
  assert.equal(readEndpointReference(response), `urn:uuid:${uuid.toLowerCase()}`);
});

Deno.test("readHwAddresses() reads each interface's MAC, normalized, skipping unusable ones", () => {
  const nic = (mac: string) =>
    `<tds:NetworkInterfaces token="eth"><tt:Enabled>true</tt:Enabled><tt:Info>` +
    `<tt:Name>eth</tt:Name><tt:HwAddress>${mac}</tt:HwAddress></tt:Info></tds:NetworkInterfaces>`;
  const response = readResponse(
    reply(
      `<tds:GetNetworkInterfacesResponse xmlns:tds="http://www.onvif.org/ver10/device/wsdl">` +
        nic("00-11-22-AA-BB-CC") + nic("00:00:00:00:00:00") + nic("garbage") +
        nic("02:00:00:00:00:01") + nic("00:11:22:aa:bb:cc") +
        `</tds:GetNetworkInterfacesResponse>`,
    ),
    "GetNetworkInterfaces",
  );
  assert.deepEqual(readHwAddresses(response), ["00:11:22:aa:bb:cc", "02:00:00:00:00:01"]);
});

Deno.test("parseXaddr() accepts http(s) only", () => {
  assert.equal(parseXaddr("http://10.0.0.2:8080/onvif/device_service", "XAddr").port, "8080");
  for (const bad of ["file:///etc/passwd", "not a url", "rtsp://cam/1"]) {
    assert.throws(() => parseXaddr(bad, "XAddr"), OnvifError);
  }
});

Deno.test("readProfiles() reads tokens, codec, resolution and fps, skipping non-video profiles", () => {
  const response = readResponse(
    reply(
      `<trt:GetProfilesResponse>` +
        `<trt:Profiles token="Profile_1" fixed="true"><tt:Name>mainStream</tt:Name>` +
        `<tt:VideoEncoderConfiguration token="V1"><tt:Encoding>H264</tt:Encoding>` +
        `<tt:Resolution><tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution>` +
        `<tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit><tt:BitrateLimit>4096</tt:BitrateLimit>` +
        `</tt:RateControl></tt:VideoEncoderConfiguration></trt:Profiles>` +
        `<ns1:Profiles token="Profile_2"><ns0:Name>sub</ns0:Name><ns0:VideoEncoderConfiguration>` +
        `<ns0:Encoding>JPEG</ns0:Encoding><ns0:Resolution><ns0:Width>640</ns0:Width>` +
        `<ns0:Height>480</ns0:Height></ns0:Resolution></ns0:VideoEncoderConfiguration></ns1:Profiles>` +
        `<trt:Profiles token="audio"><tt:Name>audio only</tt:Name></trt:Profiles>` +
        `<trt:Profiles token="bad"><tt:VideoEncoderConfiguration><tt:Encoding>H265</tt:Encoding>` +
        `<tt:Resolution><tt:Width>-1</tt:Width><tt:Height>x</tt:Height></tt:Resolution>` +
        `</tt:VideoEncoderConfiguration></trt:Profiles>` +
        `</trt:GetProfilesResponse>`,
    ),
    "GetProfiles",
  );
  assert.deepEqual(readProfiles(response), [
    {
      token: "Profile_1",
      name: "mainStream",
      codec: "h264",
      width: 1920,
      height: 1080,
      fps: 25,
      bitrateKbps: 4096,
    },
    {
      token: "Profile_2",
      name: "sub",
      codec: "mjpeg",
      width: 640,
      height: 480,
      fps: undefined,
      bitrateKbps: undefined,
    },
  ]);
});

Deno.test("readMediaUri() reads the URI of a stream or snapshot reply", () => {
  const response = readResponse(
    reply(
      `<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>rtsp://cam/ch1?a=1&amp;b=2</tt:Uri>` +
        `</trt:MediaUri></trt:GetStreamUriResponse>`,
    ),
    "GetStreamUri",
  );
  assert.equal(readMediaUri(response), "rtsp://cam/ch1?a=1&b=2");
});
