/**
 * Issue 17, fuzzing: the parsers of untrusted input — ONVIF/SOAP and WS-Discovery XML from
 * cameras and LAN devices, and RTSP source URLs from API clients — on random and hostile input.
 * A parser may accept or refuse, but only with its own error (OnvifError `onvif_bad_reply`,
 * ValidationError), quickly, and what it accepts must be safe to use.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { parseXml, type XmlElement } from "../../models/onvif/xml.ts";
import { parseEnvelope, readResponse } from "../../models/onvif/soap.ts";
import {
  buildProbeMatches,
  parseProbeMatches,
  readProbe,
  readScopes,
} from "../../models/onvif/discovery_messages.ts";
import {
  readCapabilitiesMediaXaddr,
  readDeviceInformation,
  readEndpointReference,
  readServicesMediaXaddr,
  readSystemDateAndTime,
} from "../../models/onvif/device_replies.ts";
import { readMediaUri, readProfiles } from "../../models/onvif/media_replies.ts";
import { OnvifError } from "../../models/onvif/onvif_error.ts";
import { ValidationError } from "../../models/errors.ts";
import {
  splitCredentials,
  validateSourceUrl,
  withCredentials,
} from "../../models/media/rtsp_url.ts";
import { redact } from "../../models/log.ts";

/** Runs `fn` and says whether it threw one of `allowed`; anything else fails the property. */
function acceptsOrRefuses(fn: () => unknown, ...allowed: (new (...a: never[]) => Error)[]): void {
  const started = performance.now();
  try {
    fn();
  } catch (error) {
    if (!allowed.some((kind) => error instanceof kind)) throw error;
  } finally {
    const ms = performance.now() - started;
    // A regex that backtracks, or work that grows with the input's square, shows up here: on
    // the 100-300 kB inputs below that is minutes, while a linear parse takes tens of ms idle
    // and ~1 s on a box at 99% CPU pressure (measured); the bound is for the latter.
    assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
  }
}

const SOAP = "http://www.w3.org/2003/05/soap-envelope";
const PROBE_MATCHES = buildProbeMatches({
  relatesTo: "urn:uuid:00000000-0000-4000-8000-000000000001",
  endpointAddress: "urn:uuid:00000000-0000-4000-8000-00000000000a",
  xaddrs: ["http://192.168.1.20/onvif/device_service"],
  scopes: ["onvif://www.onvif.org/name/Front%20Door", "onvif://www.onvif.org/hardware/X1"],
});
const PROFILES = `<?xml version="1.0"?><s:Envelope xmlns:s="${SOAP}"><s:Body>` +
  `<trt:GetProfilesResponse><trt:Profiles token="P1"><tt:Name>main</tt:Name>` +
  `<tt:VideoEncoderConfiguration><tt:Encoding>H264</tt:Encoding><tt:Resolution>` +
  `<tt:Width>1920</tt:Width><tt:Height>1080</tt:Height></tt:Resolution><tt:RateControl>` +
  `<tt:FrameRateLimit>25</tt:FrameRateLimit></tt:RateControl></tt:VideoEncoderConfiguration>` +
  `</trt:Profiles></trt:GetProfilesResponse></s:Body></s:Envelope>`;
const STREAM_URI = `<s:Envelope xmlns:s="${SOAP}"><s:Body><trt:GetStreamUriResponse>` +
  `<trt:MediaUri><tt:Uri>rtsp://cam/ch1?a=1&amp;b=2</tt:Uri></trt:MediaUri>` +
  `</trt:GetStreamUriResponse></s:Body></s:Envelope>`;

/** Pieces hostile XML is made of. */
const HOSTILE = [
  `<!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>`,
  `<!ENTITY xxe SYSTEM "file:///etc/passwd">`,
  "&xxe;",
  "&a;",
  "&#0;",
  "&#x110000;",
  "&#xD800;",
  "&#99999999999999999999;",
  "&#x;",
  "&amp",
  "<![CDATA[",
  "]]>",
  "<!--",
  "-->",
  "<?xml-stylesheet x?>",
  "<?",
  "</",
  "<a:",
  "<:x>",
  "<a b='1' b='2'>",
  `<a xmlns:x="y" x:y="&lt;">`,
  "<" + "a>".repeat(200),
  "</a>".repeat(200),
  "\u0000",
  "\ufeff",
  "\ud800",
];

/** Element names a reply uses, with prefixes cameras use. */
const NAMES = [
  "s:Envelope",
  "s:Body",
  "s:Header",
  "s:Fault",
  "d:ProbeMatches",
  "d:ProbeMatch",
  "a:Address",
  "d:XAddrs",
  "d:Scopes",
  "trt:Profiles",
  "tt:Uri",
  "tt:Width",
  "Envelope",
  "Body",
  "GetProfilesResponse",
  "SystemDateAndTime",
  "UTCDateTime",
  "Year",
  "x",
];

/** Random documents built from SOAP-like elements, text, attributes and hostile pieces. */
const xmlTree: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.string({ maxLength: 20 }),
    fc.constantFrom(...HOSTILE),
    fc.tuple(
      fc.constantFrom(...NAMES),
      fc.array(
        fc.tuple(
          fc.constantFrom("token", "xmlns:s", "s:mustUnderstand", "x"),
          fc.string({ maxLength: 10 }),
        ),
        { maxLength: 2 },
      ),
      fc.array(tie("node"), { maxLength: 4 }),
    ).map(([name, attributes, children]) => {
      const attrs = attributes.map(([k, v]) => ` ${k}="${v.replace(/["<&]/g, "")}"`).join("");
      return `<${name}${attrs}>${children.join("")}</${name}>`;
    }),
  ),
})).node;

/** A valid reply with characters inserted, deleted or replaced at random places. */
function mutated(valid: string): fc.Arbitrary<string> {
  const edit = fc.tuple(
    fc.nat(),
    fc.nat({ max: 20 }),
    fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.constantFrom(...HOSTILE),
    ),
  );
  return fc.array(edit, { minLength: 1, maxLength: 6 }).map((edits) => {
    let text = valid;
    for (const [at, remove, insert] of edits) {
      const i = at % (text.length + 1);
      text = text.slice(0, i) + insert + text.slice(i + remove);
    }
    return text;
  });
}

const hostileXml = fc.oneof(
  { weight: 3, arbitrary: xmlTree },
  { weight: 3, arbitrary: mutated(PROBE_MATCHES) },
  { weight: 2, arbitrary: mutated(PROFILES) },
  { weight: 1, arbitrary: mutated(STREAM_URI) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "<a>".repeat(100_000),
      `<s:Envelope xmlns:s="${SOAP}"><s:Body>${"<x/>".repeat(50_000)}</s:Body></s:Envelope>`,
      `<s:Envelope><s:Body>${"x".repeat(300_000)}</s:Body></s:Envelope>`,
      `<a ${"b".repeat(100_000)}`,
      "<a>" + "&amp;".repeat(60_000) + "</a>",
    ),
  },
);

/** Every reader of a parsed reply: none may throw anything but OnvifError. */
function readEverything(root: XmlElement): void {
  for (
    const read of [
      readProfiles,
      readMediaUri,
      readDeviceInformation,
      readSystemDateAndTime,
      readServicesMediaXaddr,
      readCapabilitiesMediaXaddr,
      readEndpointReference,
    ]
  ) {
    acceptsOrRefuses(() => read(root), OnvifError);
  }
}

Deno.test("fuzz: ONVIF and WS-Discovery parsers accept or refuse hostile XML, quickly", () => {
  fc.assert(
    fc.property(hostileXml, (xml) => {
      acceptsOrRefuses(() => parseXml(xml), OnvifError);
      acceptsOrRefuses(() => parseEnvelope(xml), OnvifError);
      acceptsOrRefuses(() => readProbe(xml), OnvifError);
      for (const action of ["GetProfiles", "GetStreamUri", "GetSystemDateAndTime"]) {
        acceptsOrRefuses(() => readEverything(readResponse(xml, action)), OnvifError);
      }
      acceptsOrRefuses(() => {
        for (const match of parseProbeMatches(xml)) {
          // An identity must be storable and comparable: no whitespace or control character.
          // deno-lint-ignore no-control-regex -- the property is about control characters
          assert.ok(!/[\s\x00-\x1f\x7f]/.test(match.endpointAddress), match.endpointAddress);
          for (const xaddr of match.xaddrs) {
            assert.ok(["http:", "https:"].includes(new URL(xaddr).protocol), xaddr);
          }
          readScopes(match.scopes);
        }
      }, OnvifError);
    }),
    { numRuns: 3000 },
  );
});

/** Offsets just after a tag of a reply: where markup (not text of a comment) may start. */
const TAG_ENDS = [...PROBE_MATCHES.matchAll(/>/g)].map((m) => m.index! + 1);

Deno.test("fuzz: a DOCTYPE or ENTITY declaration is refused before, in or after the body", () => {
  const declarations = fc.constantFrom(
    `<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>`,
    `<!ENTITY a "aaaaaaaaaaaaaaaa">`,
    `<!DOCTYPE s>`,
  );
  fc.assert(
    fc.property(fc.constantFrom(0, ...TAG_ENDS), declarations, (at, declaration) => {
      const doc = PROBE_MATCHES.slice(0, at) + declaration + PROBE_MATCHES.slice(at);
      assert.throws(() => parseXml(doc), OnvifError);
    }),
    { numRuns: 500 },
  );
});

const urlPart = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 6 }),
  fc.constantFrom(
    "%",
    "%00",
    "%zz",
    "%41",
    "@",
    ":",
    "/",
    "?",
    "#",
    "[",
    "]",
    "[::1]",
    "\\",
    " ",
    "\t",
    "-i",
    "..",
    "😀",
    "\u0000",
    "\ud800",
  ),
);

/** Source URLs: plausible ones assembled from hostile parts, and anything at all. */
const sourceUrl = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.tuple(
      fc.constantFrom(
        "rtsp://",
        "rtsps://",
        "RTSP://",
        "rtsp:",
        "rtsp:///",
        "http://",
        "file://",
        "-rtsp://",
        " rtsp://",
        "rtsp://user:pass@",
      ),
      fc.array(urlPart, { maxLength: 6 }),
    ).map(([scheme, parts]) => scheme + parts.join("")),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 100 }) },
  { weight: 1, arbitrary: fc.webUrl().map((u) => u.replace(/^https?/, "rtsp")) },
);

Deno.test("fuzz: the RTSP URL parser accepts only safe URLs, and credentials round-trip", () => {
  fc.assert(
    fc.property(sourceUrl, (raw) => {
      let url: URL | undefined;
      acceptsOrRefuses(() => url = validateSourceUrl(raw, { field: "rtspUrl" }), ValidationError);
      if (!url) return;
      // What reaches ffmpeg: an RTSP URL with a host, never an option or a local file.
      assert.ok(url.protocol === "rtsp:" || url.protocol === "rtsps:", url.href);
      assert.notEqual(url.hostname, "");
      assert.ok(!raw.startsWith("-"));
      // deno-lint-ignore no-control-regex -- the property is about control characters
      assert.ok(!/[\s\x00-\x1f\x7f]/.test(url.href), JSON.stringify(url.href));
      let split: ReturnType<typeof splitCredentials> | undefined;
      acceptsOrRefuses(() => split = splitCredentials(url!.href, "rtspUrl"), ValidationError);
      if (!split) return;
      // Stored apart and put back for ffmpeg, the credentials are the same ones.
      const again = validateSourceUrl(withCredentials(split.url, split));
      const back = splitCredentials(again.href);
      assert.deepEqual(back, split);
      // A log line never shows the password: its place holds the mask.
      if (split.password) {
        const logged = (redact({ url: url.href }) as { url: string }).url;
        assert.equal(new URL(logged).password, "***", logged);
      }
    }),
    { numRuns: 5000 },
  );
});
