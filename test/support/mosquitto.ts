/**
 * A throwaway Mosquitto broker for tests and benchmarks: password auth (one user), listening on
 * 127.0.0.1 at a free port, no persistence; stopped by PID and its temp dir removed by `close()`.
 *
 * @module
 */
import { freePort } from "./postgres_cluster.ts";

/** A running broker. */
export interface Mosquitto {
  readonly port: number;
  readonly username: string;
  readonly password: string;
  /** `mqtt://user:password@127.0.0.1:port`, the password percent-encoded. */
  readonly url: string;
  readonly pid: number;
  /** Stops the broker (SIGTERM), keeping its config. */
  stop(): Promise<void>;
  /** Starts it again on the same port. */
  start(): Promise<void>;
  /** Stops it and removes its dir. */
  close(): Promise<void>;
}

/**
 * Starts mosquitto with a password file.
 *
 * @param password the user's password (default one that needs percent-encoding)
 * @returns the broker, accepting connections
 */
export async function startMosquitto(password = "s3cr@t/pw"): Promise<Mosquitto> {
  const dir = await Deno.makeTempDir({ prefix: "vigil-mqtt-" });
  const username = "vigil";
  const passwd = await new Deno.Command("mosquitto_passwd", {
    args: ["-b", "-c", `${dir}/passwd`, username, password],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (passwd.code !== 0) {
    throw new Error(`mosquitto_passwd failed: ${new TextDecoder().decode(passwd.stderr)}`);
  }
  // mosquitto drops root privileges to its own user, which must read the password file.
  await Deno.chmod(dir, 0o755);
  await Deno.chmod(`${dir}/passwd`, 0o644);
  const port = freePort();
  await Deno.writeTextFile(
    `${dir}/mosquitto.conf`,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous false",
      `password_file ${dir}/passwd`,
      "persistence false",
      "log_dest none",
      "",
    ].join("\n"),
  );
  let child: Deno.ChildProcess | undefined;
  const start = async () => {
    child = new Deno.Command("mosquitto", {
      args: ["-c", `${dir}/mosquitto.conf`],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let i = 0; i < 100; i++) {
      try {
        (await Deno.connect({ hostname: "127.0.0.1", port })).close();
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error("mosquitto did not listen within 5 s");
  };
  const stop = async () => {
    if (!child) return;
    try {
      child.kill("SIGTERM");
    } catch {
      // Already gone.
    }
    await child.status;
    child = undefined;
  };
  await start();
  return {
    port,
    username,
    password,
    url: `mqtt://${username}:${encodeURIComponent(password)}@127.0.0.1:${port}`,
    get pid() {
      return child?.pid ?? 0;
    },
    stop,
    start,
    async close() {
      await stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
