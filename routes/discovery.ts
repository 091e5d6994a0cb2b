/**
 * LAN discovery of ONVIF cameras: scan (a WS-Discovery probe, sent only when asked or on the
 * configured interval), the devices seen since start (matched to cameras by their endpoint
 * address, which survives address changes), and adopting one through the camera service.
 * Routes and replies: GET /api/openapi.json.
 *
 * @module
 */
import { createRoute, z } from "@hono/zod-openapi";
import type { AppDeps } from "./shared/app_deps.ts";
import { type DiscoveredDevice, DiscoveryRegistry } from "../actors/onvif/discovery.ts";
import { NotFoundError } from "../models/errors.ts";
import {
  Camera,
  CameraName,
  cameraView,
  OnvifPassword,
  OnvifUsername,
  Transport,
} from "./shared/camera.ts";
import { apiApp, errorReplies, jsonReply } from "./openapi.ts";
import { Instant, pageOf, UuidOut } from "./schemas.ts";

/** Longest collection window a scan may ask for (the request waits for it). */
export const MAX_SCAN_WINDOW_MS = 10_000;

const ScanRequest = z.strictObject({
  interfaces: z.array(
    z.string().min(1).max(64).regex(/^[A-Za-z0-9_.:-]+$/, "must be an interface name or IP"),
  ).min(1).max(16).optional().openapi({
    description: "Interfaces (names or local IPs) to probe from; default all",
    example: ["eth0"],
  }),
  windowMs: z.number().int().min(100).max(MAX_SCAN_WINDOW_MS).optional().openapi({
    description: "How long to collect answers (default 2000)",
    example: 2000,
  }),
}).openapi("ScanRequest");

const AdoptRequest = z.strictObject({
  name: CameraName.optional().openapi({
    description: "Default: the name the device announces, else its model and serial number",
  }),
  username: OnvifUsername,
  password: OnvifPassword,
  transport: Transport.optional(),
}).openapi("AdoptRequest");

const DeviceId = z.string()
  .regex(/^[0-9a-f-]{16,36}$/, "is not valid")
  .openapi({
    param: { name: "id", in: "path" },
    description: "The UUID of its endpoint address, or 16 hex digits of a hash of it",
    example: "00000000-0000-4000-8000-0000000000aa",
  });

const Device = z.object({
  id: z.string(),
  endpointAddress: z.string().openapi({ example: "urn:uuid:00000000-0000-4000-8000-0000000000aa" }),
  address: z.string().openapi({ description: "Source IP of its last reply" }),
  xaddrs: z.array(z.string()).openapi({ description: "Device service URLs" }),
  name: z.string().nullable(),
  hardware: z.string().nullable(),
  location: z.string().nullable(),
  scopes: z.array(z.string()),
  types: z.array(z.string()),
  firstSeen: Instant,
  lastSeen: Instant,
  onboarded: z.boolean().openapi({ description: "Whether it is a camera already" }),
  cameraId: UuidOut.nullable(),
}).openapi("DiscoveredDevice");

const ScanReply = z.object({
  devices: z.array(Device),
  rejected: z.number().int().openapi({ description: "Datagrams refused as malformed or hostile" }),
  interfaces: z.array(z.string()).openapi({ description: "Local addresses probed from" }),
}).openapi("ScanReply");

const tags = ["discovery"];
const DEVICE_PARAMS = z.object({ id: DeviceId });

const scan = createRoute({
  method: "post",
  path: "/scan",
  summary: "Probe the LAN for ONVIF cameras (WS-Discovery)",
  description: "Only ever sent when asked (or on the configured interval). An empty body means " +
    "all interfaces and the default window; the reply waits for the window.",
  tags,
  request: {
    body: {
      required: false,
      content: { "application/json": { schema: ScanRequest } },
    },
  },
  responses: { 200: jsonReply(ScanReply, "The devices that answered") },
});

const list = createRoute({
  method: "get",
  path: "/",
  summary: "Every device seen since start",
  tags,
  responses: { 200: jsonReply(pageOf(Device).openapi("DevicePage"), "Every device") },
});

const get = createRoute({
  method: "get",
  path: "/{id}",
  summary: "One discovered device",
  tags,
  request: { params: DEVICE_PARAMS },
  responses: {
    200: jsonReply(Device, "The device"),
    ...errorReplies({ 404: "No such device seen" }),
  },
});

const adopt = createRoute({
  method: "post",
  path: "/{id}/adopt",
  summary: "Onboard a discovered device as a camera",
  description: "Like `POST /api/cameras` with `onvif`; the reply carries `Location`.",
  tags,
  request: {
    params: DEVICE_PARAMS,
    body: { required: true, content: { "application/json": { schema: AdoptRequest } } },
  },
  responses: {
    201: jsonReply(Camera, "The camera"),
    ...errorReplies({
      404: "No such device seen",
      409: "Already onboarded, or the name is taken",
      502: "The ONVIF device faulted, answered badly or could not be reached",
      504: "The ONVIF device did not answer in time",
    }),
  },
});

/**
 * @param deps the running system; `deps.discovery` is the registry to scan and list
 * @returns the sub-app
 */
export function discoveryRoutes(deps: AppDeps) {
  const { cameras, fleet } = deps;
  const registry = deps.discovery ?? new DiscoveryRegistry();

  const views = async (devices: DiscoveredDevice[]) => {
    const cameraIds = await cameras.camerasOfDevices(devices);
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
    const device = registry.get(id);
    if (!device) throw new NotFoundError(`discovered device ${id}`);
    return device;
  };

  return apiApp()
    .openapi(scan, async (c) => {
      const result = await registry.scan(c.req.valid("json"));
      return c.json({
        devices: await views(result.devices),
        rejected: result.rejected,
        interfaces: result.interfaces,
      }, 200);
    })
    .openapi(list, async (c) => c.json({ items: await views(registry.list()), next: null }, 200))
    .openapi(get, async (c) => {
      const [view] = await views([findDevice(c.req.valid("param").id)]);
      return c.json(view!, 200);
    })
    .openapi(adopt, async (c) => {
      const device = findDevice(c.req.valid("param").id);
      const camera = await cameras.adopt(device, c.req.valid("json"));
      // The same fields as `GET /api/cameras/:id`.
      c.header("location", `/api/cameras/${camera.id}`);
      return c.json(cameraView(camera, fleet), 201);
    });
}
