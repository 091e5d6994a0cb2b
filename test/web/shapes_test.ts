import assert from "node:assert/strict";
import {
  addPoint,
  cancelDrawing,
  deletePoint,
  deleteShape,
  type EditorState,
  finishDrawing,
  fromSettings,
  hitVertex,
  movePoint,
  problems,
  renameShape,
  startDrawing,
  toSettings,
} from "../../web/logic/shapes.ts";
import type { Point } from "../../web/lib/types.ts";

const empty = (): EditorState => fromSettings(undefined);
const draw = (state: EditorState, kind: "zone" | "mask" | "line", points: Point[]) =>
  points.reduce(addPoint, startDrawing(state, kind));

Deno.test("four clicks and finish make a zone named zone 1 with those corners", () => {
  const corners: Point[] = [[0.1, 0.1], [0.6, 0.1], [0.6, 0.7], [0.1, 0.7]];
  const state = finishDrawing(draw(empty(), "zone", corners));
  assert.equal(state.drawing, null);
  assert.deepEqual(toSettings(state).zones, [{ name: "zone 1", polygon: corners }]);
  assert.deepEqual(state.selected, { shape: 0, point: null });
});

Deno.test("a polygon cannot be finished with fewer than three corners", () => {
  const state = draw(empty(), "mask", [[0.1, 0.1], [0.2, 0.2]]);
  assert.equal(finishDrawing(state), state);
});

Deno.test("a line is finished by its second point", () => {
  const state = draw(empty(), "line", [[0, 0.5], [1, 0.5]]);
  assert.equal(state.drawing, null);
  assert.deepEqual(toSettings(state).lines, [{ name: "line 1", a: [0, 0.5], b: [1, 0.5] }]);
});

Deno.test("points outside the frame are clamped into it", () => {
  const state = finishDrawing(draw(empty(), "mask", [[-0.5, 0.2], [1.5, 0.2], [0.5, 2]]));
  assert.deepEqual(toSettings(state).masks[0]!.polygon, [[0, 0.2], [1, 0.2], [0.5, 1]]);
});

Deno.test("settings survive a round trip, fields the editor does not edit included", () => {
  const settings = {
    zones: [{ name: "door", polygon: [[0, 0], [1, 0], [1, 1]] as Point[], loiterSeconds: 30 }],
    masks: [{ polygon: [[0, 0], [0.2, 0], [0.2, 0.2]] as Point[] }],
    lines: [{ name: "gate", a: [0, 0] as Point, b: [1, 1] as Point, classes: ["car"] }],
  };
  assert.deepEqual(toSettings(fromSettings(settings)), settings);
});

Deno.test("editing: move, delete a corner, delete a shape, rename, cancel", async (t) => {
  const square = finishDrawing(draw(empty(), "zone", [[0, 0], [0.5, 0], [0.5, 0.5], [0, 0.5]]));
  await t.step("moving a corner changes only that corner", () => {
    const moved = movePoint(square, 0, 2, [0.7, 0.8]);
    assert.deepEqual(moved.shapes[0]!.points, [[0, 0], [0.5, 0], [0.7, 0.8], [0, 0.5]]);
    assert.deepEqual(square.shapes[0]!.points[2], [0.5, 0.5], "the old state is unchanged");
  });
  await t.step("a square loses a corner, a triangle keeps its three", () => {
    const triangle = deletePoint(square, 0, 3);
    assert.equal(triangle.shapes[0]!.points.length, 3);
    assert.equal(deletePoint(triangle, 0, 0), triangle);
  });
  await t.step("deleting the shape empties the list and the selection", () => {
    const none = deleteShape(square, 0);
    assert.deepEqual(none.shapes, []);
    assert.equal(none.selected, null);
  });
  await t.step("renaming sets the name", () => {
    assert.equal(renameShape(square, 0, "porch").shapes[0]!.name, "porch");
  });
  await t.step("cancel drops the shape being drawn", () => {
    const drawing = draw(square, "mask", [[0.1, 0.1]]);
    assert.deepEqual(cancelDrawing(drawing).shapes, square.shapes);
    assert.equal(cancelDrawing(drawing).drawing, null);
  });
});

Deno.test("hitVertex finds the nearest corner within the radius in displayed pixels", () => {
  const state = finishDrawing(draw(empty(), "zone", [[0.1, 0.1], [0.5, 0.1], [0.5, 0.5]]));
  const size = { width: 1000, height: 500 };
  assert.deepEqual(hitVertex(state.shapes, [0.505, 0.11], size, 12), { shape: 0, point: 1 });
  assert.equal(hitVertex(state.shapes, [0.3, 0.3], size, 12), undefined);
  // 0.02 of 1000 px is 20 px: outside a 12 px radius although close in normalized units.
  assert.equal(hitVertex(state.shapes, [0.12, 0.1], size, 12), undefined);
});

Deno.test("problems name what the API would refuse", async (t) => {
  const cases: [string, EditorState, RegExp | undefined][] = [
    [
      "a simple zone passes",
      finishDrawing(draw(empty(), "zone", [[0, 0], [1, 0], [1, 1]])),
      undefined,
    ],
    [
      "a bowtie crosses itself",
      finishDrawing(draw(empty(), "zone", [[0.1, 0.1], [0.5, 0.5], [0.5, 0.1], [0.1, 0.5]])),
      /crosses itself/,
    ],
    [
      "an empty name",
      renameShape(finishDrawing(draw(empty(), "zone", [[0, 0], [1, 0], [1, 1]])), 0, ""),
      /a name is/,
    ],
    [
      "a name with markup characters",
      renameShape(finishDrawing(draw(empty(), "zone", [[0, 0], [1, 0], [1, 1]])), 0, "<b>"),
      /a name is/,
    ],
    [
      "two shapes with one name",
      renameShape(
        draw(finishDrawing(draw(empty(), "zone", [[0, 0], [1, 0], [1, 1]])), "line", [[0, 0], [
          1,
          1,
        ]]),
        1,
        "zone 1",
      ),
      /used 2 times/,
    ],
  ];
  for (const [name, state, expected] of cases) {
    await t.step(name, () => {
      const found = problems(state);
      if (expected) assert.match(found.join("\n"), expected);
      else assert.deepEqual(found, []);
    });
  }
});
