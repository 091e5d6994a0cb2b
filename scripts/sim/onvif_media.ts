/**
 * The simulated camera's media side: a TCP relay that makes an RTSP server answer on the camera's
 * own address, and the JPEG its snapshot URI serves.
 *
 * @module
 */
/** A TCP relay on the camera's address to the RTSP server's host and port. */
export function startRelay(hostname: string, rtspUrl: string) {
  const upstream = new URL(rtspUrl);
  const target = { hostname: upstream.hostname, port: Number(upstream.port || 554) };
  const listener = Deno.listen({ hostname, port: 0 });
  const conns = new Set<Deno.Conn>();
  const pipe = async (from: Deno.Conn, to: Deno.Conn) => {
    try {
      await from.readable.pipeTo(to.writable);
    } catch {
      // either side closed
    }
    for (const conn of [from, to]) {
      conns.delete(conn);
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  };
  const pipes: Promise<void>[] = [];
  const loop = (async () => {
    try {
      for await (const client of listener) {
        conns.add(client);
        try {
          const server = await Deno.connect(target);
          conns.add(server);
          pipes.push(pipe(client, server), pipe(server, client));
        } catch {
          conns.delete(client);
          client.close();
        }
      }
    } catch {
      // listener closed
    }
  })();
  const urlHost = hostname.includes(":") ? `[${hostname}]` : hostname;
  return {
    rewrite(url: string): string {
      const parsed = new URL(url);
      if (parsed.host !== upstream.host) return url;
      parsed.hostname = urlHost;
      parsed.port = String(listener.addr.port);
      return parsed.href;
    },
    async stop() {
      listener.close();
      for (const conn of conns) {
        try {
          conn.close();
        } catch {
          // already closed
        }
      }
      await loop;
      await Promise.all(pipes);
    },
  };
}

/** One JPEG test picture from ffmpeg, the simulated camera's snapshot. */
export async function makeSnapshot(): Promise<Uint8Array> {
  const { success, stdout, stderr } = await new Deno.Command("ffmpeg", {
    args: [
      "-hide_banner",
      "-loglevel",
      "error",
      "-f",
      "lavfi",
      "-i",
      "testsrc2=size=640x360:rate=1",
      "-frames:v",
      "1",
      "-f",
      "image2",
      "-c:v",
      "mjpeg",
      "pipe:1",
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`sim: ffmpeg snapshot failed: ${new TextDecoder().decode(stderr)}`);
  return stdout;
}
