/**
 * Issue 24: the systemd unit in deploy/ — `systemd-analyze verify` accepts it (with `deno` and
 * main.ts at this checkout's paths, since verify checks that the command exists), and its settings
 * are the ones the README promises: restart on failure but not on a bad setting, the data dir,
 * an environment file, and a stop timeout longer than Vigil's own shutdown deadline.
 */
import assert from "node:assert/strict";

const UNIT = new URL("../../deploy/vigil.service", import.meta.url).pathname;
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** `[Section]` → key → values (a key may repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const eq = line.indexOf("=");
    assert.ok(current && eq > 0, `a line outside a section or without '=': ${line}`);
    const key = line.slice(0, eq).trim();
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()]);
  }
  return sections;
}

function systemdAnalyze(): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      Deno.statSync(`${dir}/systemd-analyze`);
      return `${dir}/systemd-analyze`;
    } catch {
      continue;
    }
  }
  return undefined;
}

const analyze = systemdAnalyze();

Deno.test({
  name: "systemd-analyze verify accepts deploy/vigil.service without a warning",
  ignore: analyze === undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "vigil-unit-" });
    try {
      const text = (await Deno.readTextFile(UNIT))
        .replace("/usr/local/bin/deno", Deno.execPath())
        .replace("/opt/vigil/main.ts", MAIN);
      await Deno.writeTextFile(`${dir}/vigil.service`, text);
      const { code, stderr, stdout } = await new Deno.Command(analyze!, {
        args: ["verify", `${dir}/vigil.service`],
      }).output();
      const output = new TextDecoder().decode(stderr) + new TextDecoder().decode(stdout);
      assert.equal(code, 0, output);
      // verify exits 0 on a setting it ignores (a typo): any output is a finding.
      assert.equal(output.trim(), "");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("deploy/vigil.service restarts on failure, keeps the data dir, reads an env file", async () => {
  const unit = parseUnit(await Deno.readTextFile(UNIT));
  const service = unit.get("Service")!;
  const one = (key: string) => {
    const values = service.get(key);
    assert.equal(values?.length, 1, `${key} is set once`);
    return values[0]!;
  };
  assert.equal(one("Restart"), "on-failure");
  assert.equal(one("RestartPreventExitStatus"), "2", "a bad setting (exit 2) is not retried");
  assert.equal(one("StateDirectory"), "vigil");
  assert.equal(one("StateDirectoryMode"), "0700");
  assert.ok(service.get("Environment")!.includes("VIGIL_DATA_DIR=/var/lib/vigil"));
  assert.equal(one("EnvironmentFile"), "-/etc/vigil/vigil.env");
  assert.match(one("ExecStart"), /^\/\S+\/deno run -A \/\S+\/main\.ts$/);
  assert.equal(one("KillMode"), "mixed", "Vigil stops its own ffmpeg children");
  // main.ts gives itself 10 s to stop; systemd must not kill it first.
  const timeout = Number(one("TimeoutStopSec"));
  assert.ok(timeout > 10, `TimeoutStopSec ${timeout}`);
  assert.equal(unit.get("Install")!.get("WantedBy")![0], "multi-user.target");
  assert.equal(unit.get("Unit")!.get("After")![0], "network-online.target");
});
