/**
 * The camera service against a real database, with a recording fleet and move watch: a failed
 * check stores nothing and tells the fleet nothing, passwords are stored sealed and never come
 * back, and moves and deletes go to their owners.
 */
import assert from "node:assert/strict";
import { forEachDatabase, type TestDatabase } from "../../support/databases.ts";
import { CAMERA_CREDENTIALS, withSimulatedCamera } from "../../support/onvif.ts";
import { CameraService } from "../../../actors/camera/camera_service.ts";
import type { DiscoveredDevice } from "../../../actors/onvif/discovery.ts";
import { openSecretBox } from "../../../models/secret_box.ts";
import { type Camera, getSealedPassword, insertCamera } from "../../../models/store/cameras.ts";
import { ConflictError, NotFoundError, ValidationError } from "../../../models/errors.ts";
import { OnvifError } from "../../../models/onvif/onvif_error.ts";
import { uuidv7 } from "../../../models/ids.ts";

const PASSWORD = "s3cr3t-Pa55";

/** What the service told the fleet and the watch, in order. */
type Call = [string, string];

async function startService(db: TestDatabase, options: { fleetRefusesAdd?: boolean } = {}) {
  const calls: Call[] = [];
  const record = (call: Call) => {
    calls.push(call);
    return options.fleetRefusesAdd && call[0] === "add"
      ? Promise.reject(new Error("fleet: cannot open the camera's writers"))
      : Promise.resolve();
  };
  const secrets = await openSecretBox(db.dataDir);
  const cameras = new CameraService({
    db,
    secrets,
    fleet: {
      add: (row) => record(["add", row.id]),
      update: (row) => record(["update", row.id]),
      delete: (id) => record(["delete", id]),
      capture: (id, action) => record([`capture ${action}`, id]),
    },
    watch: {
      acceptMove: (id) => {
        calls.push(["acceptMove", id]);
        return Promise.reject(new ConflictError(`camera ${id} has no suspected move`));
      },
      dismissMove: (id) => {
        calls.push(["dismissMove", id]);
        return Promise.reject(new ConflictError(`camera ${id} has no suspected move`));
      },
    },
    onvifTimeoutMs: 1000,
    neighbours: () => Promise.resolve(undefined),
  });
  return { cameras, calls, secrets };
}

async function storedRows(db: TestDatabase): Promise<string[]> {
  const rows = await db.sql<{ text: string }[]>`
    select row_to_json(cameras)::text as text from cameras`;
  return rows.map((r) => r.text);
}

/** A port on 127.0.0.1 that nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

function discovered(endpointAddress: string, xaddr: string): DiscoveredDevice {
  const now = new Date().toISOString();
  return {
    id: endpointAddress.replace("urn:uuid:", ""),
    endpointAddress,
    address: "127.0.0.1",
    xaddrs: [xaddr],
    types: ["dn:NetworkVideoTransmitter"],
    scopes: [],
    name: "Yard",
    hardware: undefined,
    location: undefined,
    firstSeen: now,
    lastSeen: now,
  };
}

forEachDatabase(
  "create() seals the password, never returns it, and tells the fleet",
  async (db) => {
    const { cameras, calls, secrets } = await startService(db);
    const camera = await cameras.create({
      name: "porch",
      rtspUrl: `rtsp://admin:${PASSWORD}@127.0.0.1:9/live`,
    });
    assert.equal(camera.sourceUrl, "rtsp://127.0.0.1:9/live");
    assert.equal(camera.username, "admin");
    assert.equal(camera.hasPassword, true);
    assert.equal(camera.transport, "tcp");
    assert.ok(!JSON.stringify(camera).includes(PASSWORD), "the camera carries no password");
    for (const row of await storedRows(db)) {
      assert.ok(!row.includes(PASSWORD), "no clear password in the row");
    }
    const sealed = await getSealedPassword(db.sql, camera.id);
    assert.equal(await secrets.open(sealed!), PASSWORD, "the stored password opens with the key");
    assert.deepEqual(calls, [["add", camera.id]]);
  },
);

forEachDatabase(
  "create() stores nothing and tells the fleet nothing when a check fails",
  async (db, t) => {
    const { cameras, calls } = await startService(db);
    const first = await cameras.create({ name: "porch", rtspUrl: "rtsp://127.0.0.1:9/a" });

    await t.step("a taken name is a ConflictError", async () => {
      await assert.rejects(
        cameras.create({ name: "porch", rtspUrl: `rtsp://admin:${PASSWORD}@127.0.0.1:9/b` }),
        ConflictError,
      );
    });
    await t.step("a source that is not RTSP is a ValidationError naming rtspUrl", async () => {
      await assert.rejects(
        cameras.create({ name: "gate", rtspUrl: "http://127.0.0.1/x" }),
        (error) => error instanceof ValidationError && /rtspUrl/.test(error.message),
      );
    });
    await t.step(
      "a record URL with credentials is a ValidationError naming recordUrl",
      async () => {
        await assert.rejects(
          cameras.create({
            name: "gate",
            rtspUrl: "rtsp://127.0.0.1:9/sub",
            recordUrl: "rtsp://admin:pw@127.0.0.1:9/main",
          }),
          (error) => error instanceof ValidationError && /recordUrl/.test(error.message),
        );
      },
    );

    assert.equal((await storedRows(db)).length, 1, "only the first camera is stored");
    assert.deepEqual(calls, [["add", first.id]], "the fleet heard of the first camera only");
  },
);

forEachDatabase("createOnvif() stores nothing when onboarding fails", async (db) => {
  const { cameras, calls } = await startService(db);
  await assert.rejects(
    cameras.createOnvif({
      name: "gate",
      host: "127.0.0.1",
      port: closedPort(),
      ...CAMERA_CREDENTIALS,
    }),
    (error) => error instanceof OnvifError && error.code === "onvif_unreachable",
  );
  assert.deepEqual(await storedRows(db), []);
  assert.deepEqual(calls, []);
});

forEachDatabase("createOnvif() stores what onboarding learnt, the password sealed", async (db) => {
  const { cameras, calls, secrets } = await startService(db);
  await withSimulatedCamera({ rtspUrl: "rtsp://127.0.0.1:9/main" }, async (device) => {
    const camera = await cameras.createOnvif({
      name: "gate",
      host: "127.0.0.1",
      port: device.port,
      ...CAMERA_CREDENTIALS,
    });
    assert.equal(camera.username, CAMERA_CREDENTIALS.username);
    assert.equal(camera.hasPassword, true);
    assert.equal(
      (camera.onvif as { endpointAddress: string }).endpointAddress,
      device.endpointAddress,
    );
    assert.ok(!JSON.stringify(camera).includes(CAMERA_CREDENTIALS.password));
    for (const row of await storedRows(db)) {
      assert.ok(!row.includes(CAMERA_CREDENTIALS.password), "no clear password in the row");
    }
    const sealed = await getSealedPassword(db.sql, camera.id);
    assert.equal(await secrets.open(sealed!), CAMERA_CREDENTIALS.password);
    assert.deepEqual(calls, [["add", camera.id]]);

    await assert.rejects(
      cameras.createOnvif({
        name: "gate",
        host: "127.0.0.1",
        port: device.port,
        ...CAMERA_CREDENTIALS,
      }),
      ConflictError,
      "a taken name stores nothing, after onboarding",
    );
    assert.equal((await storedRows(db)).length, 1);
    assert.equal(calls.length, 1);
  });
});

forEachDatabase(
  "adopt() refuses a device that is a camera already, before any ONVIF call",
  async (db) => {
    const { cameras, calls } = await startService(db);
    const endpointAddress = "urn:uuid:00000000-0000-4000-8000-0000000000aa";
    const existing = await insertCamera(db.sql, {
      id: uuidv7(),
      name: "yard",
      sourceUrl: "rtsp://127.0.0.1:9/sub",
      transport: "tcp",
      onvif: { endpointAddress, deviceUrl: "http://127.0.0.1:1/onvif/device_service" },
    });
    const device = discovered(
      endpointAddress,
      `http://127.0.0.1:${closedPort()}/onvif/device_service`,
    );
    assert.deepEqual(
      await cameras.camerasOfDevices([device]),
      new Map([[endpointAddress, existing.id]]),
    );
    await assert.rejects(
      cameras.adopt(device, { ...CAMERA_CREDENTIALS }),
      (error) => error instanceof ConflictError && error.message.includes(existing.id),
    );
    assert.equal((await storedRows(db)).length, 1);
    assert.deepEqual(calls, []);
  },
);

forEachDatabase("adopt() names the camera after the device when given no name", async (db) => {
  const { cameras, calls } = await startService(db);
  await withSimulatedCamera({ rtspUrl: "rtsp://127.0.0.1:9/main", name: "Yard" }, async (sim) => {
    const camera = await cameras.adopt(discovered(sim.endpointAddress, sim.xaddr), {
      ...CAMERA_CREDENTIALS,
      transport: "udp",
    });
    assert.equal(camera.name, "Yard");
    assert.equal(camera.transport, "udp");
    assert.deepEqual(calls, [["add", camera.id]]);
  });
});

forEachDatabase("update() checks before it changes anything, then tells the fleet", async (db) => {
  const { cameras, calls } = await startService(db);
  const camera = await cameras.create({
    name: "porch",
    rtspUrl: `rtsp://admin:${PASSWORD}@127.0.0.1:9/live`,
  });
  await assert.rejects(
    cameras.update(camera.id, { name: "front", recordUrl: "rtsp://u:p@127.0.0.1:9/main" }),
    ValidationError,
  );
  await assert.rejects(cameras.update(uuidv7(), { name: "x" }), NotFoundError);
  assert.deepEqual(calls, [["add", camera.id]], "nothing changed, nothing told");

  const changed: Camera = await cameras.update(camera.id, { rtspUrl: "rtsp://127.0.0.1:9/other" });
  assert.equal(changed.name, "porch");
  assert.equal(changed.username, undefined, "a new source without credentials keeps none");
  assert.equal(changed.hasPassword, false);
  assert.deepEqual(calls.at(-1), ["update", camera.id]);
});

forEachDatabase("capture, moves and deletes go to the fleet and the move watch", async (db) => {
  const { cameras, calls } = await startService(db);
  const camera = await cameras.create({ name: "porch", rtspUrl: "rtsp://127.0.0.1:9/live" });
  assert.equal((await cameras.capture(camera.id, "start")).id, camera.id);
  await assert.rejects(cameras.acceptMove(camera.id), ConflictError);
  await assert.rejects(cameras.dismissMove(camera.id), ConflictError);
  await cameras.delete(camera.id);
  assert.deepEqual(calls, [
    ["add", camera.id],
    ["capture start", camera.id],
    ["acceptMove", camera.id],
    ["dismissMove", camera.id],
    ["delete", camera.id],
  ]);
});

forEachDatabase(
  "create() keeps no camera the fleet cannot supervise, so a retry is not a name conflict",
  async (db) => {
    const { cameras } = await startService(db, { fleetRefusesAdd: true });
    const camera = { name: "porch", rtspUrl: `rtsp://admin:${PASSWORD}@127.0.0.1:9/live` };
    await assert.rejects(cameras.create(camera), /cannot open the camera's writers/);
    assert.deepEqual(await storedRows(db), []);
    await assert.rejects(cameras.create(camera), /cannot open the camera's writers/);
  },
);
