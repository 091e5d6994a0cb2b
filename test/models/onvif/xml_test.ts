import assert from "node:assert/strict";
import { OnvifError } from "../../../models/onvif/onvif_error.ts";
import { childText, escapeXml, findChild, findPath, parseXml } from "../../../models/onvif/xml.ts";

function assertBadReply(xml: string, message: RegExp, limits?: Parameters<typeof parseXml>[1]) {
  assert.throws(
    () => parseXml(xml, limits),
    (error: unknown) =>
      error instanceof OnvifError && error.code === "onvif_bad_reply" &&
      message.test(error.message),
  );
}

Deno.test("parseXml() matches elements by local name whatever their prefix", () => {
  const root = parseXml(
    `<?xml version="1.0"?><!-- hi --><env:Envelope xmlns:env="x"><env:Body>` +
      `<ns2:Thing a:token="t1" plain='p'><tt:Name>A &amp; B &lt;&#65;&#x42;&gt;</tt:Name>` +
      `<Empty/></ns2:Thing></env:Body></env:Envelope>`,
  );
  assert.equal(root.name, "Envelope");
  assert.equal(root.prefix, "env");
  const thing = findPath(root, "Body", "Thing");
  assert.deepEqual(thing?.attributes, { token: "t1", plain: "p" });
  assert.equal(childText(thing, "Name"), "A & B <AB>");
  assert.ok(findChild(thing, "Empty"));
  assert.equal(childText(thing, "Empty"), undefined);
});

Deno.test("parseXml() keeps CDATA as text without decoding it", () => {
  const root = parseXml("<a><![CDATA[<b>&amp;</b>]]></a>");
  assert.equal(root.text, "<b>&amp;</b>");
});

Deno.test("parseXml() refuses a DOCTYPE and an entity-expansion bomb", async (t) => {
  await t.step("billion laughs", () => {
    assertBadReply(
      `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">` +
        `<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><a>&lol2;</a>`,
      /DOCTYPE and ENTITY/,
    );
  });
  await t.step("external entity", () => {
    assertBadReply(
      `<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><a>&xxe;</a>`,
      /DOCTYPE and ENTITY/,
    );
  });
  await t.step("an undeclared entity reference", () => {
    assertBadReply("<a>&xxe;</a>", /entity &xxe; is not accepted/);
  });
  await t.step("a bare ampersand", () => {
    assertBadReply("<a>fish & chips</a>", /bare "&"/);
  });
});

Deno.test("parseXml() refuses documents over its limits", async (t) => {
  await t.step("size", () => {
    assertBadReply(`<a>${"x".repeat(300_000)}</a>`, /over the 262144 limit/);
  });
  await t.step("depth", () => {
    assertBadReply("<a>".repeat(100) + "</a>".repeat(100), /nesting deeper than 64/);
  });
  await t.step("element count", () => {
    assertBadReply(`<a>${"<b/>".repeat(50)}</a>`, /more than 10 elements/, { maxElements: 10 });
  });
});

Deno.test("parseXml() refuses malformed documents with a clear message", async (t) => {
  const cases: [string, string, RegExp][] = [
    ["mismatched tags", "<a><b></a></b>", /closing tag <\/a> does not match <b>/],
    ["unclosed root", "<a><b></b>", /<a> is never closed/],
    ["two roots", "<a/><b/>", /more than one root/],
    ["text after root", "<a/>junk", /text after the root/],
    ["empty", "   ", /no root element/],
    ["not XML", "HTTP/1.1 200 OK", /text before the root/],
    ["broken attribute", "<a b=c/>", /invalid attribute/],
    ["unterminated comment", "<a><!-- </a>", /unterminated comment/],
  ];
  for (const [name, xml, message] of cases) {
    await t.step(name, () => assertBadReply(xml, message));
  }
});

Deno.test("escapeXml() escapes the five special characters", () => {
  assert.equal(escapeXml(`a<b>&"c'`), "a&lt;b&gt;&amp;&quot;c&apos;");
  assert.equal(parseXml(`<a x="${escapeXml(`"<&>'`)}">${escapeXml("<&>")}</a>`).text, "<&>");
});
