import assert from "node:assert/strict";
import { cutPage, fetchSize } from "../../../models/store/pager.ts";

const rows = [{ id: "a" }, { id: "b" }, { id: "c" }];
const item = (row: { id: string }) => row.id.toUpperCase();
const cursor = (row: { id: string }) => row.id;

Deno.test("fetchSize() asks for one row more than the page", () => {
  assert.equal(fetchSize(50), 51);
});

Deno.test("cutPage() gives the next cursor after the page's last row when more rows came", () => {
  assert.deepEqual(cutPage(rows, 2, item, cursor), { items: ["A", "B"], next: "b" });
});

Deno.test("cutPage() has no next cursor on the last page", () => {
  assert.deepEqual(cutPage(rows, 3, item, cursor), { items: ["A", "B", "C"], next: null });
  assert.deepEqual(cutPage([], 3, item, cursor), { items: [], next: null });
});
