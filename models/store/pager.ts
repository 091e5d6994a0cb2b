/**
 * Keyset paging, the one way every listing pages: fetch one row more than the page, and when that
 * row comes back, the page's last row is where the next page starts. Each listing keeps its own
 * order and its own `where` for the cursor; the page arithmetic lives here.
 *
 * @module
 */

/** One page of a listing. */
export interface Page<T> {
  items: T[];
  /** The cursor of the page after this one, or null on the last page. */
  next: string | null;
}

/**
 * How many rows to fetch for a page.
 *
 * @param limit the page size
 * @returns one more: the extra row tells whether another page follows
 */
export function fetchSize(limit: number): number {
  return limit + 1;
}

/**
 * Cuts a page out of rows fetched with {@linkcode fetchSize}.
 *
 * @param rows the rows, in page order
 * @param limit the page size
 * @param item turns a row into what the page lists
 * @param cursor the cursor that continues after a row
 * @returns the first `limit` rows as items, and the cursor after the last of them when more follow
 * @example
 * ```ts
 * const rows = await sql`select * from cameras order by id limit ${fetchSize(50)}`;
 * cutPage(rows, 50, toCamera, (row) => row.id); // { items: [...], next: "0194…" | null }
 * ```
 */
export function cutPage<Row, Item>(
  rows: readonly Row[],
  limit: number,
  item: (row: Row) => Item,
  cursor: (row: Row) => string,
): Page<Item> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(item),
    next: rows.length > limit && last !== undefined ? cursor(last) : null,
  };
}
