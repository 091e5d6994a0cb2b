/**
 * The parent-death signal, for real: a short-lived Deno parent spawns through the process layer
 * and is SIGKILLed (no cleanup of its own can run); its children must not outlive it.
 */
import assert from "node:assert/strict";
import { productFiles } from "../../support/source_tree.ts";

const CHILD_TS = new URL("../../../actors/process/child.ts", import.meta.url).href;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `R`, `S`, `Z`… from /proc, or `gone`. A zombie is dead: it waits for a reaper only. */
function processState(pid: number): string {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]!;
  } catch {
    return "gone";
  }
}

const alive = (pid: number) => !["Z", "X", "gone"].includes(processState(pid));

async function until(predicate: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(20)) {
    if (predicate()) return true;
  }
  return predicate();
}

Deno.test("children die with a parent that is SIGKILLed, each by the signal its caller chose", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vigil-pdeath-" });
  const marker = `${dir}/signal`;
  const parentScript = `${dir}/parent.ts`;
  await Deno.writeTextFile(
    parentScript,
    `import { spawnChild } from ${JSON.stringify(CHILD_TS)};
const plain = spawnChild("sleep", { args: ["300"] });
const recorder = spawnChild("sh", {
  args: ["-c", "trap 'echo INT > ${marker}; exit 0' INT; echo ready; while :; do sleep 0.05; done"],
  stdout: "piped",
  stopSignal: "SIGINT",
});
const reader = recorder.stdout.getReader();
await reader.read();
console.log(JSON.stringify({ plain: plain.pid, recorder: recorder.pid }));
await Promise.all([plain.done, recorder.done]);
`,
  );
  const parent = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", parentScript],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const pids: number[] = [];
  try {
    const reader = parent.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    reader.releaseLock();
    const children = JSON.parse(text) as { plain: number; recorder: number };
    pids.push(children.plain, children.recorder);
    assert.ok(alive(children.plain) && alive(children.recorder), "both children run");

    parent.kill("SIGKILL");
    await parent.status;
    assert.ok(await until(() => !alive(children.plain), 5000), "the plain child died");
    assert.ok(await until(() => !alive(children.recorder), 5000), "the recorder child died");
    assert.equal((await Deno.readTextFile(marker)).trim(), "INT", "the recorder got SIGINT");
  } finally {
    for (const pid of pids) {
      if (alive(pid)) Deno.kill(pid, "SIGKILL");
    }
    try {
      parent.kill("SIGKILL");
    } catch {
      // exited
    }
    await parent.status;
    await parent.stdout.cancel().catch(() => {});
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("no Worker module can reach the process layer (a Worker's children die with its thread)", async () => {
  const root = new URL("../../../", import.meta.url).pathname;
  const files = await productFiles(root);
  const byPath = new Map(files.map((f) => [f.path, f]));
  const workers = files.filter((f) => f.path.endsWith("_worker.ts")).map((f) => f.path);
  assert.ok(workers.length >= 2, `worker modules: ${workers.join(", ")}`);
  const offenders: string[] = [];
  for (const worker of workers) {
    const seen = new Set<string>();
    const stack = [worker];
    while (stack.length > 0) {
      const file = byPath.get(stack.pop()!);
      if (!file || seen.has(file.path)) continue;
      seen.add(file.path);
      if (file.path.startsWith("actors/process/") || /new Deno\.Command\b/.test(file.text)) {
        offenders.push(`${worker} → ${file.path}`);
      }
      for (const i of file.imports) if (!i.typeOnly) stack.push(i.target);
    }
  }
  assert.deepEqual(offenders, []);
});
