/**
 * LAN discovery of ONVIF cameras:
 * `POST /api/discovery/scan` `{interfaces?, windowMs?}` (a WS-Discovery probe — only ever sent
 * when asked, or on the configured interval), `GET /api/discovery` (every device seen since start,
 * with whether it is already a camera), `POST /api/discovery/:id/adopt`
 * `{name?, username, password, transport?}` (onboard it over ONVIF: 201 with the camera).
 *
 * A device is matched to a camera by its WS-Discovery endpoint address (`urn:uuid:...`), which
 * onboarding stores and which survives address changes.
 *
 * @module
 */
import { Hono } from "hono";
import type { AppDeps } from "./app.ts";
import {
  adoptDiscoveredDevice,
  type DiscoveredDevice,
  DiscoveryRegistry,
} from "../actors/discovery.ts";
import { camerasByEndpoint } from "../models/store/cameras.ts";
import { readOnvifIdentity } from "../models/onvif/stored_info.ts";
import { ConflictError, NotFoundError, ValidationError } from "../models/errors.ts";
import { addOnvifCamera, cameraView } from "./cameras.ts";
import { arrayOf, number, object, oneOf, optional, readJson, string } from "./validate.ts";

/** Longest collection window a scan may ask for (the request waits for it). */
export const MAX_SCAN_WINDOW_MS = 10_000;

const scanRequest = object({
  interfaces: optional(
    arrayOf(
      string({ max: 64, pattern: /^[A-Za-z0-9_.:-]+$/, hint: "must be an interface name or IP" }),
      { min: 1, max: 16 },
    ),
  ),
  windowMs: optional(number({ min: 100, max: MAX_SCAN_WINDOW_MS, integer: true })),
});
const adoptRequest = object({
  // deno-lint-ignore no-control-regex -- refusing control characters is the point
  name: optional(string({ max: 100, pattern: /^[^\x00-\x1f\x7f]+$/, hint: "must be printable" })),
  username: string({ max: 128 }),
  password: string({ min: 0, max: 256 }),
  transport: optional(oneOf(["tcp", "udp"] as const)),
});

/**
 * @param deps the running system; `deps.discovery` is the registry to scan and list
 * @returns the sub-app
 */
export function discoveryRoutes(deps: AppDeps): Hono {
  const registry = deps.discovery ?? new DiscoveryRegistry();

  /** endpoint address → camera id, for the devices given. */
  const onboarded = async (devices: DiscoveredDevice[]) => {
    const cameras = await camerasByEndpoint(
      deps.db.sql,
      devices.map((d) => d.endpointAddress),
    );
    const byEndpoint = new Map<string, string>();
    for (const camera of cameras) {
      const endpoint = readOnvifIdentity(camera.onvif)?.endpointAddress;
      if (endpoint && !byEndpoint.has(endpoint)) byEndpoint.set(endpoint, camera.id);
    }
    return byEndpoint;
  };

  const views = async (devices: DiscoveredDevice[]) => {
    const cameraIds = await onboarded(devices);
    return devices.map((device) => {
      const cameraId = cameraIds.get(device.endpointAddress) ?? null;
      return {
        id: device.id,
        endpointAddress: device.endpointAddress,
        address: device.address,
        xaddrs: device.xaddrs,
        name: device.name ?? null,
        hardware: device.hardware ?? null,
        location: device.location ?? null,
        scopes: device.scopes,
        types: device.types,
        firstSeen: device.firstSeen,
        lastSeen: device.lastSeen,
        onboarded: cameraId !== null,
        cameraId,
      };
    });
  };

  const findDevice = (id: string) => {
    if (!/^[0-9a-f-]{16,36}$/.test(id)) throw new ValidationError("id is not valid", "id", 400);
    const device = registry.get(id);
    if (!device) throw new NotFoundError(`discovered device ${id}`);
    return device;
  };

  return new Hono()
    .post("/scan", async (c) => {
      // An empty body (plain `curl -X POST`) means "all interfaces, default window".
      const empty = !c.req.header("content-type") && (await c.req.text()) === "";
      const body = empty ? {} : await readJson(c, scanRequest);
      const result = await registry.scan(body);
      return c.json({
        devices: await views(result.devices),
        rejected: result.rejected,
        interfaces: result.interfaces,
      });
    })
    .get("/", async (c) => c.json({ items: await views(registry.list()), next: null }))
    .get("/:id", async (c) => {
      const [view] = await views([findDevice(c.req.param("id"))]);
      return c.json(view);
    })
    .post("/:id/adopt", async (c) => {
      const device = findDevice(c.req.param("id"));
      const body = await readJson(c, adoptRequest);
      const existing = (await onboarded([device])).get(device.endpointAddress);
      if (existing) {
        throw new ConflictError(`device ${device.id} is already onboarded as camera ${existing}`);
      }
      const info = await adoptDiscoveredDevice(device, {
        username: body.username,
        password: body.password,
        timeoutMs: deps.onvifTimeoutMs,
        neighbours: deps.neighbours,
      });
      const camera = await addOnvifCamera(deps, {
        name: body.name ?? defaultName(device, info.deviceInfo),
        info,
        username: body.username,
        password: body.password,
        transport: body.transport,
      });
      // The same fields as `GET /api/cameras/:id`.
      c.header("location", `/api/cameras/${camera.id}`);
      return c.json(cameraView(camera, deps.fleet), 201);
    });
}

/**
 * A camera name for an adopted device that was given none: its announced name, else its model
 * and serial number; control characters removed, at most 100 characters (the camera name rules).
 */
function defaultName(
  device: DiscoveredDevice,
  info: { model: string; serialNumber: string },
): string {
  const raw = device.name ?? [info.model, info.serialNumber].filter(Boolean).join(" ");
  // deno-lint-ignore no-control-regex -- dropping control characters is the point
  const clean = raw.replace(/[\x00-\x1f\x7f]/g, "").trim().slice(0, 100);
  return clean || `camera ${device.id.slice(0, 8)}`;
}
