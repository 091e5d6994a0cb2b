import assert from "node:assert/strict";
import { href, parseRoute } from "../../web/logic/route.ts";

const ID = "0192f3c4-5b6a-7c8d-9e0f-112233445566";

Deno.test("parseRoute maps hashes to pages and refuses anything else", async (t) => {
  const cases: [string, string, string | undefined][] = [
    ["", "cameras", undefined],
    ["#/", "cameras", undefined],
    ["#/cameras", "cameras", undefined],
    [`#/cameras/${ID}`, "camera", ID],
    ["#/cameras/not-a-uuid", "not_found", undefined],
    [`#/events/${ID}`, "event", ID],
    ["#/discovery", "discovery", undefined],
    ["#/system", "system", undefined],
    [`#/cameras/${ID}/extra`, "not_found", undefined],
    ["#/../../etc/passwd", "not_found", undefined],
  ];
  for (const [hash, page, id] of cases) {
    await t.step(hash || "(empty)", () => {
      const route = parseRoute(hash);
      assert.equal(route.page, page);
      if (id) assert.equal("id" in route ? route.id : undefined, id);
    });
  }
});

Deno.test("the events route keeps its query, and href drops empty values", () => {
  const route = parseRoute("#/events?label=person&camera=" + ID);
  assert.equal(route.page, "events");
  assert.equal(route.page === "events" && route.query.get("label"), "person");
  assert.equal(href("events", { label: "car", kind: "", zone: undefined }), "#/events?label=car");
  assert.equal(href("events"), "#/events");
});
