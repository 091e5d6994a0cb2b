import assert from "node:assert/strict";
import { columnArrays, insertStatement, type TableSpec } from "../../../models/store/table_spec.ts";

Deno.test("insertStatement() unnests one array per column, with or without on conflict", () => {
  const spec: TableSpec<{ id: string; n: number }> = {
    table: "t",
    columns: [
      { name: "id", type: "uuid", value: (r) => r.id },
      { name: "n", type: "int4", value: (r) => r.n },
    ],
    onConflict: "(id) do nothing",
    parse: () => ({ id: "", n: 0 }),
  };
  assert.equal(
    insertStatement(spec),
    "insert into t (id, n) select * from unnest($1::uuid[], $2::int4[]) on conflict (id) do nothing",
  );
  assert.equal(
    insertStatement(spec, { idempotent: false }),
    "insert into t (id, n) select * from unnest($1::uuid[], $2::int4[])",
  );
  assert.throws(() => insertStatement({ ...spec, table: "t; drop table x" }), /bad table/);
  assert.throws(
    () =>
      insertStatement({ ...spec, columns: [{ name: "id", type: "uuid[]); --", value: () => 1 }] }),
    /bad column/,
  );
});

Deno.test("columnArrays() keeps only the last row of a key", () => {
  const spec: TableSpec<{ id: string; v: number }> = {
    table: "t",
    columns: [{ name: "id", type: "text", value: (r) => r.id }, {
      name: "v",
      type: "int4",
      value: (r) => r.v,
    }],
    onConflict: "(id) do update set v = excluded.v",
    key: (r) => r.id,
    parse: () => ({ id: "", v: 0 }),
  };
  const rows = [{ id: "a", v: 1 }, { id: "b", v: 2 }, { id: "a", v: 3 }];
  assert.deepEqual(columnArrays(spec, rows), [["b", "a"], [2, 3]]);
  assert.deepEqual(columnArrays({ ...spec, key: undefined }, rows), [["a", "b", "a"], [1, 2, 3]]);
});
