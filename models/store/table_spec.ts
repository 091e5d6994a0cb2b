/**
 * How rows of one type go into one table, and the statement a batch is written with: one array
 * parameter per column, unnested (`insert ... select * from unnest($1::uuid[], ...)`).
 * Why unnest: docs/decisions/writer-unnest.md.
 *
 * @module
 */
/** A value one column of one row can take. */
export type SqlValue = string | number | boolean | null;

/** One column of a {@linkcode TableSpec}. */
export interface ColumnSpec<R> {
  /** Column name. */
  readonly name: string;
  /** PostgreSQL type of the column (`uuid`, `timestamptz`, `int8`, `float4`, `jsonb`...). */
  readonly type: string;
  /** The column's value for a row (jsonb columns take JSON text). */
  value(row: R): SqlValue;
}

/**
 * How rows of type `R` go into a table. `R` must survive `JSON.stringify`/`JSON.parse` (it is
 * what a spill file holds) and must carry its own id, so that `onConflict` makes a retried batch
 * harmless.
 */
export interface TableSpec<R> {
  /** Table name. */
  readonly table: string;
  /** Columns in insert order. */
  readonly columns: readonly ColumnSpec<R>[];
  /** What follows `on conflict`, e.g. `(id, ts) do nothing` or `(id) do update set ...`. */
  readonly onConflict: string;
  /**
   * Each id is pushed once and never updated. Then a batch's first attempt is a plain INSERT
   * (measured ~20% faster than `on conflict`, which inserts speculatively); only a retry, a
   * replay from the spill file, or a unique violation uses `onConflict`.
   */
  readonly insertOnly?: boolean;
  /**
   * A row's identity. Set it for `do update` specs: PostgreSQL refuses to update one row twice
   * in one statement, so a batch keeps only the last row of each key.
   */
  key?(row: R): string;
  /**
   * Checks a row (pushed, or read back from a spill file) and returns it typed.
   * @throws {ValidationError} when it is not a valid row
   */
  parse(value: unknown): R;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;
const TYPE = /^[a-z_][a-z0-9_ ]*$/;

/**
 * The statement a batch is written with: one array parameter per column, unnested.
 *
 * @param spec the table
 * @param options `idempotent: false` leaves out the `on conflict` clause (first attempts of
 *   insert-only tables); `fenced: true` adds the writer's `box_id` and `lease_epoch` (the two
 *   parameters after the columns) and refuses the whole statement, through `vigil_fence` and the
 *   camera id after them, unless that box still holds the camera's lease at that epoch
 * @returns the SQL text
 * @throws {Error} when the spec names a table, column or type that is not a plain identifier
 * @example
 * ```ts
 * insertStatement(spec);
 * // insert into t (id, ts) select * from unnest($1::uuid[], $2::timestamptz[]) on conflict ...
 * ```
 */
export function insertStatement<R>(
  spec: TableSpec<R>,
  options: { idempotent?: boolean; fenced?: boolean } = {},
): string {
  if (!IDENT.test(spec.table)) throw new Error(`writer: bad table name ${spec.table}`);
  for (const column of spec.columns) {
    if (!IDENT.test(column.name) || !TYPE.test(column.type)) {
      throw new Error(`writer: bad column ${column.name} ${column.type} in ${spec.table}`);
    }
  }
  const names = spec.columns.map((column) => column.name).join(", ");
  const arrays = spec.columns.map((column, i) => `$${i + 1}::${column.type}[]`).join(", ");
  const n = spec.columns.length;
  const insert = options.fenced
    ? `insert into ${spec.table} (${names}, box_id, lease_epoch) ` +
      `select *, $${n + 1}::uuid, $${n + 2}::int8 from unnest(${arrays}) ` +
      `where (select vigil_fence($${n + 3}::uuid, $${n + 1}::uuid, $${n + 2}::int8))`
    : `insert into ${spec.table} (${names}) select * from unnest(${arrays})`;
  return options.idempotent === false ? insert : `${insert} on conflict ${spec.onConflict}`;
}

/**
 * Turns rows into one array per column; with a `key`, only the last row of each key is kept.
 *
 * @param spec the table
 * @param rows rows in push order
 * @returns the parameters of {@linkcode insertStatement}
 */
export function columnArrays<R>(spec: TableSpec<R>, rows: readonly R[]): SqlValue[][] {
  let kept = rows;
  if (spec.key) {
    const last = new Map<string, number>();
    rows.forEach((row, i) => last.set(spec.key!(row), i));
    if (last.size < rows.length) {
      const keep = new Set(last.values());
      kept = rows.filter((_, i) => keep.has(i));
    }
  }
  return spec.columns.map((column) => kept.map((row) => column.value(row)));
}
