/**
 * What a hostile ONVIF device costs one call of Vigil's client (issue 25): a device that streams a
 * 100 MB reply, and one that sends headers and then nothing. Prints, per case, the error code, the
 * time to it, what the device managed to push (the rest of the reply never left it), and the RSS
 * growth of this process. The PTZ and event routes make exactly these calls.
 *
 * Usage: `deno run -A scripts/sim/onvif_hostile_device.ts [--timeout-ms 2000]`
 *
 * @module
 */
import { parseArgs } from "node:util";
import { postSoap } from "../../models/onvif/soap_http.ts";
import { getSystemDateAndTime } from "../../models/onvif/requests.ts";

const { values } = parseArgs({ options: { "timeout-ms": { type: "string", default: "2000" } } });
const timeoutMs = Number(values["timeout-ms"]);
const MiB = 1024 * 1024;
const chunk = new Uint8Array(64 * 1024).fill(0x61);
let pushed = 0;
let mode: "huge" | "silent" = "huge";
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, () =>
  new Response(
    new ReadableStream({
      pull(controller) {
        if (mode === "silent") return new Promise(() => {});
        if (pushed > 100 * MiB) return controller.close();
        pushed += chunk.byteLength;
        controller.enqueue(chunk);
      },
    }),
    { headers: { "content-type": "application/soap+xml" } },
  ));
const url = new URL(`http://127.0.0.1:${server.addr.port}/onvif/device_service`);
for (const next of ["huge", "silent"] as const) {
  mode = next;
  pushed = 0;
  const rss = Deno.memoryUsage().rss;
  const started = performance.now();
  const code = await postSoap(url, getSystemDateAndTime(), { timeoutMs })
    .then(() => "ok", (error) => error.code);
  console.log(
    `${next}: ${code} after ${(performance.now() - started).toFixed(0)} ms; device pushed ` +
      `${(pushed / MiB).toFixed(1)} MiB; rss +${
        ((Deno.memoryUsage().rss - rss) / MiB).toFixed(1)
      } MiB`,
  );
}
// The silent reply never ends: do not wait for it.
Deno.exit(0);
