/**
 * The simulated camera's PTZ service (ver20): a position that moves with the velocity of the
 * last ContinuousMove until Stop or the move's own timeout, presets (GetPresets, SetPreset,
 * GotoPreset) and a home position at the origin. Positions are clamped to the normalized space
 * (pan and tilt -1..1, zoom 0..1); moves are computed from the clock, so a test sees the position
 * change between two GetStatus calls.
 *
 * @module
 */
import { childText, escapeXml, findChild, type XmlElement } from "../../models/onvif/xml.ts";
import type { PtzVector } from "../../models/onvif/ptz.ts";

/** Normalized units per second at velocity 1. */
export const SIM_PTZ_SPEED = 0.5;

/** The simulated PTZ head, for tests. */
export interface SimulatedPtz {
  /** The position now. */
  position(): PtzVector;
  /** Whether a move is running now. */
  moving(): boolean;
  /** Presets by token. */
  presets: Map<string, { name: string; position: PtzVector }>;
  /** Answers a PTZ action, or undefined when it is not one. */
  respond(action: string, request: XmlElement): string | undefined;
}

interface Move {
  from: PtzVector;
  velocity: PtzVector;
  startedAt: number;
  /** When the camera ends the move on its own. */
  endsAt: number;
}

/**
 * Makes a PTZ head at the origin with two presets (`1` "Gate", `2` "Yard").
 *
 * @param now the clock (tests may pass their own)
 * @returns the head
 */
export function createSimulatedPtz(now: () => number = Date.now): SimulatedPtz {
  let rest: PtzVector = { pan: 0, tilt: 0, zoom: 0 };
  let move: Move | undefined;
  let nextToken = 3;
  const presets = new Map([
    ["1", { name: "Gate", position: { pan: 0.5, tilt: 0.25, zoom: 0.5 } }],
    ["2", { name: "Yard", position: { pan: -0.5, tilt: -0.25, zoom: 0 } }],
  ]);

  const position = (): PtzVector => {
    if (!move) return rest;
    const seconds = (Math.min(now(), move.endsAt) - move.startedAt) / 1000;
    const axis = (from: number, speed: number, min: number) =>
      Math.min(1, Math.max(min, from + speed * SIM_PTZ_SPEED * seconds));
    return {
      pan: axis(move.from.pan, move.velocity.pan, -1),
      tilt: axis(move.from.tilt, move.velocity.tilt, -1),
      zoom: axis(move.from.zoom, move.velocity.zoom, 0),
    };
  };
  const halt = () => {
    rest = position();
    move = undefined;
  };
  const moveTo = (target: PtzVector) => {
    move = undefined;
    rest = { ...target };
  };

  return {
    position,
    moving: () => move !== undefined && now() < move.endsAt,
    presets,
    respond(action, request) {
      const reply = (xml = "") => `<tptz:${action}Response>${xml}</tptz:${action}Response>`;
      switch (action) {
        case "GetNodes":
          return reply(NODE);
        case "ContinuousMove": {
          const velocity = findChild(request, "Velocity");
          const panTilt = findChild(velocity, "PanTilt")?.attributes;
          const timeout = parseSeconds(childText(request, "Timeout")) ?? 10;
          halt();
          move = {
            from: rest,
            velocity: {
              pan: Number(panTilt?.x ?? 0),
              tilt: Number(panTilt?.y ?? 0),
              zoom: Number(findChild(velocity, "Zoom")?.attributes.x ?? 0),
            },
            startedAt: now(),
            endsAt: now() + timeout * 1000,
          };
          return reply();
        }
        case "Stop":
          halt();
          return reply();
        case "GetStatus": {
          const p = position();
          return reply(
            `<tptz:PTZStatus><tt:Position><tt:PanTilt x="${p.pan}" y="${p.tilt}"/>` +
              `<tt:Zoom x="${p.zoom}"/></tt:Position><tt:MoveStatus><tt:PanTilt>` +
              `${move && now() < move.endsAt ? "MOVING" : "IDLE"}</tt:PanTilt></tt:MoveStatus>` +
              `<tt:UtcTime>${new Date(now()).toISOString()}</tt:UtcTime></tptz:PTZStatus>`,
          );
        }
        case "GetPresets":
          return reply(
            [...presets].map(([token, preset]) =>
              `<tptz:Preset token="${escapeXml(token)}"><tt:Name>${
                escapeXml(preset.name)
              }</tt:Name>` +
              `<tt:PTZPosition><tt:PanTilt x="${preset.position.pan}" ` +
              `y="${preset.position.tilt}"/><tt:Zoom x="${preset.position.zoom}"/>` +
              `</tt:PTZPosition></tptz:Preset>`
            ).join(""),
          );
        case "SetPreset": {
          const token = childText(request, "PresetToken") ?? String(nextToken++);
          halt();
          presets.set(token, { name: childText(request, "PresetName") ?? token, position: rest });
          return reply(`<tptz:PresetToken>${escapeXml(token)}</tptz:PresetToken>`);
        }
        case "GotoPreset": {
          const preset = presets.get(childText(request, "PresetToken") ?? "");
          if (!preset) return undefined;
          moveTo(preset.position);
          return reply();
        }
        case "GotoHomePosition":
          moveTo({ pan: 0, tilt: 0, zoom: 0 });
          return reply();
        default:
          return undefined;
      }
    },
  };
}

const NODE = `<tptz:PTZNode token="node0" FixedHomePosition="false"><tt:Name>PTZ</tt:Name>` +
  `<tt:SupportedPTZSpaces><tt:ContinuousPanTiltVelocitySpace>` +
  `<tt:URI>http://www.onvif.org/ver10/tptz/PanTiltSpaces/VelocityGenericSpace</tt:URI>` +
  `<tt:XRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:XRange>` +
  `<tt:YRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:YRange>` +
  `</tt:ContinuousPanTiltVelocitySpace><tt:ContinuousZoomVelocitySpace>` +
  `<tt:URI>http://www.onvif.org/ver10/tptz/ZoomSpaces/VelocityGenericSpace</tt:URI>` +
  `<tt:XRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:XRange>` +
  `</tt:ContinuousZoomVelocitySpace></tt:SupportedPTZSpaces>` +
  `<tt:MaximumNumberOfPresets>64</tt:MaximumNumberOfPresets>` +
  `<tt:HomeSupported>true</tt:HomeSupported></tptz:PTZNode>`;

/** Seconds of an `xs:duration` like `PT5S` or `PT1M30S`. */
export function parseSeconds(duration: string | undefined): number | undefined {
  const match = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$/.exec(duration ?? "");
  if (!match || duration === "PT") return undefined;
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}
