import assert from "node:assert/strict";
import { ValidationError } from "../../../models/errors.ts";
import {
  answersOnvif,
  deviceServiceUrl,
  onboardOnvifCamera,
} from "../../../models/onvif/client.ts";
import { OnvifError } from "../../../models/onvif/onvif_error.ts";
import { getDeviceInformation, type OnvifRequest } from "../../../models/onvif/requests.ts";
import { postSoap } from "../../../models/onvif/soap_http.ts";
import { createUsernameToken } from "../../../models/onvif/ws_security.ts";
import {
  CAMERA_CREDENTIALS,
  probeStream,
  withHttpServer,
  withSimulatedCamera,
} from "../../support/onvif.ts";
import { withRtspServer } from "../../support/rtsp.ts";
import { CLOSED_PORT } from "../../support/ports.ts";

const HOURS_2 = 2 * 3_600_000;

async function assertOnvifError(promise: Promise<unknown>, code: string, message: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof OnvifError, `expected an OnvifError, got ${error}`);
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

function target(port: number, password: string = CAMERA_CREDENTIALS.password) {
  return {
    host: "127.0.0.1",
    port,
    username: CAMERA_CREDENTIALS.username,
    password,
    timeoutMs: 3000,
  };
}

Deno.test("onboarding reads identity and profiles, fixes the stream host and picks the profiles", async () => {
  await withSimulatedCamera({
    rtspUrl: "rtsp://0.0.0.0:8554/main",
    subRtspUrl: "rtsp://192.168.77.9:8554/sub",
    model: "SimCam 9",
  }, async (camera) => {
    const info = await onboardOnvifCamera(target(camera.port));
    assert.equal(info.deviceUrl, camera.xaddr);
    assert.equal(info.mediaUrl, `http://127.0.0.1:${camera.port}/onvif/media_service`);
    assert.equal(info.endpointAddress, camera.endpointAddress);
    assert.equal(info.deviceInfo.model, "SimCam 9");
    // ONVIF time has 1 s resolution and the round trip counts: loose, against hours of skew.
    assert.ok(Math.abs(info.timeOffsetMs) < 5000, `offset ${info.timeOffsetMs}`);
    assert.deepEqual(
      info.profiles.map((p) => [p.token, p.codec, p.width, p.height, p.fps, p.streamUri]),
      [
        ["main", "h264", 1280, 720, 25, "rtsp://127.0.0.1:8554/main"],
        ["sub", "h264", 640, 360, 10, "rtsp://127.0.0.1:8554/sub"],
      ],
    );
    assert.equal(info.recordingProfile.token, "main");
    assert.equal(info.analysisProfile.token, "sub");
    assert.equal(
      info.analysisProfile.snapshotUri,
      `http://127.0.0.1:${camera.port}/onvif/snapshot.jpg`,
    );
    const snapshot = await fetch(info.analysisProfile.snapshotUri!);
    const jpeg = await snapshot.bytes();
    assert.deepEqual([...jpeg.slice(0, 2)], [0xff, 0xd8], "snapshot is a JPEG");
    // Loopback has no neighbour entry: no MAC, the one field JSON drops.
    const { macAddress, ...rest } = info;
    assert.equal(macAddress, undefined);
    assert.deepEqual(JSON.parse(JSON.stringify(info)), rest);
  });
});

Deno.test("onboarding records the neighbour table's MAC only when the camera reports the same", async (t) => {
  const table = (mac: string) => () => Promise.resolve(mac);
  const cases: [string, string | undefined, string | undefined][] = [
    ["the camera confirms the MAC", "02:00:00:00:00:01", "02:00:00:00:00:01"],
    [
      "the camera reports another MAC (a proxy or ARP spoofer answers)",
      "02:00:00:00:00:02",
      undefined,
    ],
    ["the address has no neighbour entry (routed, loopback)", undefined, undefined],
  ];
  await withSimulatedCamera({
    rtspUrl: "rtsp://127.0.0.1:8554/main",
    macAddress: "02:00:00:00:00:01",
  }, async (camera) => {
    for (const [name, seen, recorded] of cases) {
      await t.step(name, async () => {
        const neighbours = seen ? table(seen) : () => Promise.resolve(undefined);
        const info = await onboardOnvifCamera({ ...target(camera.port), neighbours });
        assert.equal(info.macAddress, recorded);
      });
    }
  });
  await withSimulatedCamera({
    rtspUrl: "rtsp://127.0.0.1:8554/main",
    macAddress: "02:00:00:00:00:01",
    faultActions: ["GetNetworkInterfaces"],
  }, async (camera) => {
    await t.step("the camera does not support GetNetworkInterfaces", async () => {
      const neighbours = table("02:00:00:00:00:01");
      const info = await onboardOnvifCamera({ ...target(camera.port), neighbours });
      assert.equal(info.macAddress, undefined);
    });
  });
});

Deno.test("answersOnvif() tells a device that still answers from a silent address", async () => {
  await withSimulatedCamera({ rtspUrl: "rtsp://127.0.0.1:8554/main" }, async (camera) => {
    assert.equal(await answersOnvif(camera.xaddr, 2000), true);
  });
  await withHttpServer(async (port) => {
    assert.equal(
      await answersOnvif(`http://127.0.0.1:${port}/onvif/device_service`, 2000),
      false,
      "a web page is not the camera",
    );
  });
  const closed = `http://127.0.0.1:${CLOSED_PORT}/onvif/device_service`;
  assert.equal(await answersOnvif(closed, 2000), false);
});

Deno.test("service XAddrs and snapshot URIs with a wrong address are pointed at the device", async () => {
  await withSimulatedCamera(
    { rtspUrl: "rtsp://0.0.0.0:554/main", reportedHost: "192.168.13.37:8899" },
    async (camera) => {
      const info = await onboardOnvifCamera(target(camera.port));
      assert.equal(info.mediaUrl, `http://127.0.0.1:${camera.port}/onvif/media_service`);
      assert.equal(
        info.recordingProfile.snapshotUri,
        "http://127.0.0.1:8899/onvif/snapshot.jpg",
        "snapshot host fixed, its port kept as reported",
      );
      assert.equal(info.recordingProfile.streamUri, "rtsp://127.0.0.1:554/main");
    },
  );
});

Deno.test("onboarding succeeds with a camera clock two hours ahead or behind", async (t) => {
  for (const offset of [HOURS_2, -HOURS_2]) {
    await t.step(`${offset > 0 ? "ahead" : "behind"}`, async () => {
      await withSimulatedCamera(
        { rtspUrl: "rtsp://127.0.0.1:8554/x", clockOffsetMs: offset },
        async (camera) => {
          const info = await onboardOnvifCamera(target(camera.port));
          assert.ok(Math.abs(info.timeOffsetMs - offset) < 5000, `offset ${info.timeOffsetMs}`);
          assert.equal(info.profiles.length, 2);
        },
      );
    });
  }
});

Deno.test("the simulated camera refuses a token in our clock when its own is two hours off", async () => {
  // Proves the skew test above can fail: without the offset the camera says NotAuthorized.
  await withSimulatedCamera(
    { rtspUrl: "rtsp://127.0.0.1:8554/x", clockOffsetMs: HOURS_2 },
    async (camera) => {
      await assertOnvifError(
        postSoap(new URL(camera.xaddr), getDeviceInformation(), {
          timeoutMs: 3000,
          security: createUsernameToken({ ...CAMERA_CREDENTIALS }),
        }),
        "onvif_unauthorized",
        /Sender not Authorized \(stale\)/,
      );
    },
  );
});

Deno.test("the simulated camera refuses a replayed token and faults on unknown actions", async () => {
  await withSimulatedCamera({ rtspUrl: "rtsp://127.0.0.1:8554/x" }, async (camera) => {
    const url = new URL(camera.xaddr);
    const security = createUsernameToken({ ...CAMERA_CREDENTIALS });
    await postSoap(url, getDeviceInformation(), { timeoutMs: 3000, security });
    await assertOnvifError(
      postSoap(url, getDeviceInformation(), { timeoutMs: 3000, security }),
      "onvif_unauthorized",
      /\(replayed\)/,
    );
    const reboot: OnvifRequest = {
      name: "SystemReboot",
      action: "http://www.onvif.org/ver10/device/wsdl/SystemReboot",
      body: "<tds:SystemReboot/>",
    };
    await assertOnvifError(
      postSoap(url, reboot, {
        timeoutMs: 3000,
        security: createUsernameToken({ ...CAMERA_CREDENTIALS }),
      }),
      "onvif_fault",
      /ActionNotSupported/,
    );
  });
});

Deno.test("a wrong password is onvif_unauthorized (422), and the camera still onboards after", async () => {
  await withSimulatedCamera({ rtspUrl: "rtsp://127.0.0.1:8554/x" }, async (camera) => {
    await assert.rejects(onboardOnvifCamera(target(camera.port, "wrong")), (error: unknown) => {
      assert.ok(error instanceof OnvifError);
      assert.equal(error.code, "onvif_unauthorized");
      assert.equal(error.status, 422);
      assert.match(error.message, /GetDeviceInformation refused the credentials/);
      return true;
    });
    assert.ok(!camera.actions.includes("GetProfiles"), "nothing read after the refusal");
    assert.equal((await onboardOnvifCamera(target(camera.port))).profiles.length, 2);
  });
});

Deno.test("an HTTP server that is not a camera is onvif_not_onvif", async (t) => {
  await t.step("an HTML 404 page", async () => {
    await withHttpServer(async (port) => {
      await assertOnvifError(
        onboardOnvifCamera(target(port)),
        "onvif_not_onvif",
        /127\.0\.0\.1:\d+ is not an ONVIF device \(GetSystemDateAndTime got HTTP 404, text\/html/,
      );
    });
  });
  await t.step("a JSON API answering 200", async () => {
    await withHttpServer(async (port) => {
      await assertOnvifError(
        onboardOnvifCamera(target(port)),
        "onvif_not_onvif",
        /got HTTP 200, application\/json without a SOAP envelope/,
      );
    }, () => Response.json({ ok: true }));
  });
});

Deno.test("a reply with an entity bomb or over the size limit is onvif_bad_reply", async (t) => {
  await t.step("entities", async () => {
    await withHttpServer(async (port) => {
      await assertOnvifError(
        onboardOnvifCamera(target(port)),
        "onvif_bad_reply",
        /DOCTYPE and ENTITY/,
      );
    }, () =>
      new Response(
        `<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY a "aaaa">]><s:Envelope><s:Body>&a;</s:Body></s:Envelope>`,
        { headers: { "content-type": "application/soap+xml" } },
      ));
  });
  await t.step("size", async () => {
    await withHttpServer(async (port) => {
      await assertOnvifError(
        onboardOnvifCamera(target(port)),
        "onvif_bad_reply",
        /reply over 262144 bytes/,
      );
    }, () => new Response(`<s:Envelope><s:Body>${"<x/>".repeat(100_000)}</s:Body></s:Envelope>`));
  });
});

Deno.test("a SOAP fault is onvif_fault naming the call", async () => {
  await withSimulatedCamera(
    { rtspUrl: "rtsp://127.0.0.1:8554/x", faultActions: ["GetProfiles"] },
    async (camera) => {
      await assertOnvifError(
        onboardOnvifCamera(target(camera.port)),
        "onvif_fault",
        /GetProfiles failed with a SOAP fault \(Receiver\/ActionFailed: GetProfiles failed \(simulated\)\)/,
      );
    },
  );
});

Deno.test("optional calls that fault do not stop onboarding", async () => {
  await withSimulatedCamera({
    rtspUrl: "rtsp://127.0.0.1:8554/x",
    faultActions: ["GetServices", "GetEndpointReference", "GetSnapshotUri", "GetSystemDateAndTime"],
  }, async (camera) => {
    const info = await onboardOnvifCamera(target(camera.port));
    assert.equal(info.endpointAddress, undefined);
    assert.equal(info.timeOffsetMs, 0);
    assert.equal(info.recordingProfile.snapshotUri, undefined);
    assert.ok(camera.actions.includes("GetCapabilities"), "media XAddr taken from GetCapabilities");
  });
});

Deno.test("a slow device is onvif_timeout (504) within the time limit", async () => {
  await withSimulatedCamera(
    { rtspUrl: "rtsp://127.0.0.1:8554/x", responseDelayMs: 10_000 },
    async (camera) => {
      const started = performance.now();
      await assert.rejects(
        onboardOnvifCamera({ ...target(camera.port), timeoutMs: 300 }),
        (error: unknown) => {
          assert.ok(error instanceof OnvifError);
          assert.equal(error.code, "onvif_timeout");
          assert.equal(error.status, 504);
          assert.match(
            error.message,
            /GetSystemDateAndTime at 127\.0\.0\.1:\d+ did not answer within 300 ms/,
          );
          return true;
        },
      );
      // The camera answers after 10 s: giving up any time before that proves the 300 ms limit.
      assert.ok(performance.now() - started < 8000, "gave up long before the camera answered");
    },
  );
});

Deno.test("nothing listening is onvif_unreachable", async () => {
  await assertOnvifError(
    onboardOnvifCamera(target(CLOSED_PORT)),
    "onvif_unreachable",
    /cannot reach GetSystemDateAndTime at 127\.0\.0\.1/,
  );
});

Deno.test("deviceServiceUrl() builds the URL and refuses bad hosts and ports", () => {
  assert.equal(
    deviceServiceUrl({ host: "192.168.1.20" }).href,
    "http://192.168.1.20/onvif/device_service",
  );
  assert.equal(
    deviceServiceUrl({ host: "fd00::1", port: 8080 }).href,
    "http://[fd00::1]:8080/onvif/device_service",
  );
  assert.equal(
    deviceServiceUrl({ host: "x", xaddr: "http://10.0.0.2:81/onvif/dev" }).href,
    "http://10.0.0.2:81/onvif/dev",
  );
  for (
    const bad of [
      { host: "evil/path" },
      { host: "a@b" },
      { host: "999.1.1.1" },
      { host: ":" },
      {
        host: "[1]",
      },
      { host: "cam", port: 0 },
      {
        host: "x",
        xaddr: "file:///x",
      },
    ]
  ) {
    assert.throws(() => deviceServiceUrl(bad), ValidationError);
  }
});

Deno.test("an onboarded stream URI plays: the simulated camera relays a real RTSP stream", async () => {
  await withRtspServer({ width: 640, height: 360, fps: 10 }, async (rtsp) => {
    await withSimulatedCamera({ rtspUrl: rtsp.url, rtspRelay: true }, async (camera) => {
      const info = await onboardOnvifCamera(target(camera.port));
      assert.notEqual(new URL(info.recordingProfile.streamUri).port, String(rtsp.port), "relayed");
      const stream = await probeStream(info.recordingProfile.streamUri);
      assert.deepEqual(stream, { codec: "h264", width: 640, height: 360 });
    });
  });
});
