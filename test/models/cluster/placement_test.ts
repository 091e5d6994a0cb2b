import assert from "node:assert/strict";
import {
  type BoxLoad,
  type CameraLease,
  chooseHandover,
  placeOrphans,
} from "../../../models/cluster/placement.ts";

const box = (id: string, up = true, capacity = 16): BoxLoad => ({ id, capacity, up });
const cam = (id: string, owner: string | null, extra: Partial<CameraLease> = {}): CameraLease => ({
  id,
  pin: null,
  owner,
  epoch: owner === null ? null : 1,
  expiredForMs: 0,
  ...extra,
});

Deno.test("placeOrphans() spreads new cameras over the boxes with the most free capacity", () => {
  const moves = placeOrphans(
    [box("a"), box("b"), box("c")],
    ["1", "2", "3", "4", "5", "6"].map((id) => cam(id, null)),
  );
  assert.deepEqual(moves.map((m) => m.to), ["a", "b", "c", "a", "b", "c"]);
});

Deno.test("placeOrphans() gives a dead box's cameras to the others, stealing at the seen epoch", () => {
  const moves = placeOrphans([box("a"), box("b", false), box("c")], [
    cam("1", "a"),
    cam("2", "b", { epoch: 4, expiredForMs: 100 }),
    cam("3", "b", { epoch: 2, expiredForMs: 100 }),
    cam("4", "c"),
  ]);
  assert.deepEqual(moves, [{ camera: "2", to: "a", epoch: 4 }, { camera: "3", to: "c", epoch: 2 }]);
});

Deno.test("placeOrphans() honours a pin to an up box and ignores one to a down box", () => {
  const moves = placeOrphans([box("a"), box("b"), box("c", false)], [
    cam("1", null, { pin: "b" }),
    cam("2", null, { pin: "b" }),
    cam("3", null, { pin: "c" }),
  ]);
  assert.deepEqual(moves.map((m) => m.to), ["b", "b", "a"]);
});

Deno.test("placeOrphans() leaves an orphan unplaced when every box is full", () => {
  assert.deepEqual(placeOrphans([box("a", true, 1)], [cam("1", "a"), cam("2", null)]), []);
});

Deno.test("placeOrphans() leaves cameras with a live lease alone", () => {
  assert.deepEqual(placeOrphans([box("a"), box("b")], [cam("1", "a"), cam("2", "a")]), []);
});

Deno.test("chooseHandover() moves one camera from a box two ahead of the least loaded", () => {
  const cameras = [cam("1", "a"), cam("2", "a"), cam("3", "a"), cam("4", "b")];
  assert.deepEqual(chooseHandover("a", [box("a"), box("b"), box("c")], cameras), {
    camera: "3",
    to: "c",
    epoch: 1,
  });
  assert.equal(chooseHandover("b", [box("a"), box("b"), box("c")], cameras), undefined);
});

Deno.test("chooseHandover() never flaps: a gap of one stays", () => {
  const cameras = [cam("1", "a"), cam("2", "a"), cam("3", "b")];
  assert.equal(chooseHandover("a", [box("a"), box("b")], cameras), undefined);
  assert.equal(chooseHandover("b", [box("a"), box("b")], cameras), undefined);
});

Deno.test("chooseHandover() gives a pinned camera back to its box when it is up", () => {
  const cameras = [cam("1", "a", { pin: "b" }), cam("2", "b")];
  assert.deepEqual(chooseHandover("a", [box("a"), box("b")], cameras), {
    camera: "1",
    to: "b",
    epoch: 1,
  });
  assert.equal(chooseHandover("a", [box("a"), box("b", false)], cameras), undefined);
});

Deno.test("chooseHandover() keeps cameras pinned to the box itself", () => {
  const cameras = [cam("1", "a", { pin: "a" }), cam("2", "a", { pin: "a" })];
  assert.equal(chooseHandover("a", [box("a"), box("b")], cameras), undefined);
});

Deno.test("chooseHandover() sends nothing to a box that is down or full", () => {
  const cameras = [cam("1", "a"), cam("2", "a"), cam("3", "a")];
  assert.equal(chooseHandover("a", [box("a"), box("b", false)], cameras), undefined);
  assert.equal(chooseHandover("a", [box("a"), box("b", true, 0)], cameras), undefined);
});
