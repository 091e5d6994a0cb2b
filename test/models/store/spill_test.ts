import assert from "node:assert/strict";
import { decodeSpillLine, encodeSpillLines, openSpill } from "../../../models/store/spill.ts";
import { createLogger, type LogFields, type Logger } from "../../../models/log.ts";

const encoder = new TextEncoder();

/** A logger that records warnings, to check a damaged file is reported. */
function recordingLogger(): { log: Logger; warnings: { msg: string; fields?: LogFields }[] } {
  const warnings: { msg: string; fields?: LogFields }[] = [];
  const quiet = createLogger("spill-test");
  const log: Logger = {
    ...quiet,
    debug: () => {},
    info: () => {},
    warn: (msg, fields) => warnings.push({ msg, fields }),
    error: (msg, fields) => warnings.push({ msg, fields }),
    child: () => log,
  };
  return { log, warnings };
}

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "vigil-spill-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const rows = (from: number, n: number) => Array.from({ length: n }, (_, i) => ({ n: from + i }));

Deno.test("a spill line starts with the IEEE CRC-32 of its JSON, as files written before", () => {
  // Python: "%08x" % zlib.crc32(b'{"a":1}')
  assert.equal(new TextDecoder().decode(encodeSpillLines([{ a: 1 }])), '561bacaf {"a":1}\n');
});

Deno.test("decodeSpillLine() refuses a line whose checksum does not match", () => {
  const line = encodeSpillLines([{ a: 1 }]).subarray(0, -1);
  assert.deepEqual(decodeSpillLine(line), { value: { a: 1 } });
  const flipped = line.slice();
  flipped[flipped.length - 2] = "2".charCodeAt(0);
  assert.equal(decodeSpillLine(flipped), undefined);
  assert.equal(decodeSpillLine(encoder.encode("nonsense")), undefined);
});

Deno.test("spill file reads back appended rows in order, page by page", async () => {
  await withDir(async (dir) => {
    const { log, warnings } = recordingLogger();
    const spill = await openSpill(`${dir}/a/b.jsonl`, log);
    assert.equal(spill.rows, 0);
    await spill.append(rows(0, 700));
    await spill.append(rows(700, 300));
    assert.equal(spill.rows, 1000);
    const seen: unknown[] = [];
    let offset = 0;
    for (;;) {
      const chunk = await spill.read(offset, 333);
      if (chunk.values.length === 0) break;
      seen.push(...chunk.values);
      offset = chunk.next;
    }
    assert.deepEqual(seen, rows(0, 1000));
    assert.equal(offset, spill.bytes);
    assert.equal((await Deno.stat(spill.path)).size, spill.bytes);
    const reopened = await openSpill(spill.path, log);
    assert.equal(reopened.rows, 1000);
    await reopened.remove();
    await assert.rejects(() => Deno.stat(spill.path), Deno.errors.NotFound);
    assert.deepEqual(warnings, []);
  });
});

Deno.test("spill file cuts off a torn tail with a warning and appends after it cleanly", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/cam.jsonl`;
    const good = encodeSpillLines(rows(0, 10));
    const torn = encodeSpillLines([{ n: 10, long: "x".repeat(100) }]).subarray(0, 40);
    await Deno.writeFile(path, new Uint8Array([...good, ...torn]));
    const { log, warnings } = recordingLogger();
    const spill = await openSpill(path, log);
    assert.equal(spill.rows, 10);
    assert.equal((await Deno.stat(path)).size, good.length);
    assert.ok(warnings.some((w) => /torn/.test(w.msg)), JSON.stringify(warnings));
    await spill.append(rows(11, 2));
    const chunk = await spill.read(0, 100);
    assert.deepEqual(chunk.values, [...rows(0, 10), ...rows(11, 2)]);
    assert.equal(chunk.skipped, 0);
  });
});

Deno.test("spill file cuts off a complete last line with a bad checksum", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/cam.jsonl`;
    const good = encodeSpillLines(rows(0, 3));
    await Deno.writeFile(path, new Uint8Array([...good, ...encoder.encode('00000000 {"n":3}\n')]));
    const { log } = recordingLogger();
    const spill = await openSpill(path, log);
    assert.equal(spill.rows, 3);
    assert.equal((await Deno.stat(path)).size, good.length);
  });
});

Deno.test("spill file skips a damaged line in the middle with a warning", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/cam.jsonl`;
    const bytes = new Uint8Array([
      ...encodeSpillLines(rows(0, 2)),
      ...encoder.encode("garbage from a flipped sector\n"),
      ...encodeSpillLines(rows(2, 2)),
    ]);
    await Deno.writeFile(path, bytes);
    const { log, warnings } = recordingLogger();
    const spill = await openSpill(path, log);
    assert.equal(spill.rows, 4);
    assert.equal((await Deno.stat(path)).size, bytes.length, "a middle line is not a tail");
    const chunk = await spill.read(0, 100);
    assert.deepEqual(chunk.values, rows(0, 4));
    assert.equal(chunk.skipped, 1);
    assert.ok(warnings.length >= 2, JSON.stringify(warnings));
  });
});

Deno.test("compact() keeps the newest lines, drops replayed ones for free, counts the rest", async () => {
  await withDir(async (dir) => {
    const { log } = recordingLogger();
    const spill = await openSpill(`${dir}/s.jsonl`, log);
    const rows = Array.from({ length: 100 }, (_, i) => ({ i }));
    await spill.append(rows);
    const lineBytes = encodeSpillLines([{ i: 10 }]).length;
    const replayed = await spill.read(0, 10);
    const { dropped } = await spill.compact(replayed.next, 50 * lineBytes);
    // 10 lines were replayed already (not a loss); of the 90 others, the oldest 40 go.
    assert.equal(dropped, 40);
    assert.equal(spill.rows, 50);
    assert.equal(spill.bytes, (await Deno.stat(`${dir}/s.jsonl`)).size);
    const all = await spill.read(0, 1000);
    assert.deepEqual(all.values, rows.slice(50));
    // Appends go on after a compaction, and a reopen sees the same file.
    await spill.append([{ i: 100 }]);
    const reopened = await openSpill(`${dir}/s.jsonl`, log);
    assert.equal(reopened.rows, 51);
    assert.deepEqual((await reopened.read(0, 1000)).values.at(-1), { i: 100 });
  });
});
