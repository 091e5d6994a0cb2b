import assert from "node:assert/strict";
import { arrayLiteral } from "../../../models/store/array_literal.ts";

Deno.test("arrayLiteral() quotes every string, so NULL, commas and quotes survive", () => {
  assert.equal(arrayLiteral([]), "{}");
  assert.equal(arrayLiteral([1, 2.5, null, true]), "{1,2.5,NULL,t}");
  assert.equal(
    arrayLiteral(["NULL", 'a "b"', "c\\d", "e,f}"]),
    '{"NULL","a \\"b\\"","c\\\\d","e,f}"}',
  );
});
