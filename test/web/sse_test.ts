import assert from "node:assert/strict";
import { createSseParser } from "../../web/logic/sse.ts";

Deno.test("the SSE parser dispatches complete messages however the chunks fall", async (t) => {
  const cases: [string, string[], { event: string; data: string; id?: string }[]][] = [
    ["one message", ["event: open\ndata: {}\n\n"], [{ event: "open", data: "{}" }]],
    ["split mid-line", ["event: op", "en\nda", 'ta: {"a":1}\n', "\n"], [{
      event: "open",
      data: '{"a":1}',
    }]],
    ["CRLF split between CR and LF", ["data: x\r", "\n\r\n"], [{ event: "message", data: "x" }]],
    ["CR alone ends lines (a last CR waits for a possible LF)", ["data: y\r\r", ":"], [{
      event: "message",
      data: "y",
    }]],
    ["multi-line data joins with newlines", ["data: a\ndata: b\n\n"], [{
      event: "message",
      data: "a\nb",
    }]],
    ["comments (keep-alives) are ignored", [": keep-alive\n\n"], []],
    ["an id is kept", ["id: 42\nevent: close\ndata: z\n\n"], [{
      event: "close",
      data: "z",
      id: "42",
    }]],
    ["no blank line yet: nothing dispatched", ["event: open\ndata: {}\n"], []],
    ["two messages in one chunk", ["data: 1\n\ndata: 2\n\n"], [
      { event: "message", data: "1" },
      { event: "message", data: "2" },
    ]],
  ];
  for (const [name, chunks, expected] of cases) {
    await t.step(name, () => {
      const parser = createSseParser();
      const got = chunks.flatMap((chunk) => parser.push(chunk));
      assert.deepEqual(
        got.map(({ id, ...rest }) => (id === undefined ? rest : { ...rest, id })),
        expected,
      );
    });
  }
});
