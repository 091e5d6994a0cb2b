import assert from "node:assert/strict";
import { readExactly } from "../../../actors/process/exact_reads.ts";

/** A byte stream (as a child's stdout is) of the bytes 0, 1, 2… in chunks of these sizes. */
function byteStream(chunkSizes: number[]): ReadableStream<Uint8Array<ArrayBuffer>> {
  let next = 0;
  const chunks = chunkSizes.map((n) => Uint8Array.from({ length: n }, () => next++ & 0xff));
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const chunk = chunks.shift();
      if (chunk) return controller.enqueue(chunk);
      controller.close();
      // A pending BYOB read learns of the end only through respond(0).
      controller.byobRequest?.respond(0);
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array<ArrayBuffer>>, size: number) {
  const records: Uint8Array[] = [];
  for await (const record of readExactly(stream, size)) records.push(record);
  return records;
}

Deno.test("readExactly() yields whole records however the bytes are chunked", async () => {
  const records = await collect(byteStream([3, 5, 1, 7]), 4);
  assert.deepEqual(records.map((r) => [...r]), [
    [0, 1, 2, 3],
    [4, 5, 6, 7],
    [8, 9, 10, 11],
    [12, 13, 14, 15],
  ]);
});

Deno.test("readExactly() hands out a fresh buffer per record, so earlier ones stay intact", async () => {
  const records = await collect(byteStream([8, 8, 8]), 6);
  assert.equal(records.length, 4);
  assert.equal(new Set(records.map((r) => r.buffer)).size, 4, "no buffer shared");
  assert.deepEqual([...records[0]!], [0, 1, 2, 3, 4, 5]);
  assert.ok(records.every((r) => r.byteLength === 6));
});

Deno.test("readExactly() ends at the end of the stream and drops a partial last record", async (t) => {
  await t.step("partial record dropped", async () => {
    const records = await collect(byteStream([5, 5]), 4);
    assert.deepEqual(records.map((r) => [...r]), [[0, 1, 2, 3], [4, 5, 6, 7]]);
  });
  await t.step("ending on a record boundary", async () => {
    assert.equal((await collect(byteStream([4, 4]), 4)).length, 2);
  });
  await t.step("an empty stream", async () => {
    assert.deepEqual(await collect(byteStream([]), 4), []);
  });
});

Deno.test("readExactly() releases the stream when the caller stops early", async () => {
  const stream = byteStream([16]);
  for await (const _record of readExactly(stream, 4)) break;
  assert.equal(stream.locked, false);
});

Deno.test("readExactly() refuses a size that is not a positive integer", async () => {
  await assert.rejects(collect(byteStream([4]), 0), RangeError);
  await assert.rejects(collect(byteStream([4]), 1.5), RangeError);
});
