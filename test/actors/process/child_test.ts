import assert from "node:assert/strict";
import { spawnChild } from "../../../actors/process/child.ts";
import { readExactly } from "../../../actors/process/exact_reads.ts";
import {
  inOwnProcessGroup,
  resolveProgram,
  withParentDeathSignal,
} from "../../../actors/process/launch.ts";
import { readLines } from "../../../actors/process/lines.ts";
import { ProcessGroup } from "../../../actors/process/process_group.ts";
import { runProcess } from "../../../actors/process/run.ts";

/** `[state, pgrp, session]` from /proc; state `gone` when there is no such process. */
function procStat(pid: number): [string, number, number] {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const [state, , pgrp, session] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return [state!, Number(pgrp), Number(session)];
  } catch {
    return ["gone", 0, 0];
  }
}

const dead = (pid: number) => ["Z", "X", "gone"].includes(procStat(pid)[0]);

/** The first stdout line of a child. */
async function firstLine(stdout: ReadableStream<Uint8Array<ArrayBuffer>>): Promise<string> {
  for await (const line of readLines(stdout)) return line;
  return "";
}

/** Waits until the wrappers have exec'd the program (its name shows in /proc). */
async function running(pid: number, name: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Deno.readTextFileSync(`/proc/${pid}/comm`).trim() !== name) {
    if (Date.now() > deadline) throw new Error(`${pid} never became ${name}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("a child runs in a process group of its own, in the server's session (one CPU autogroup)", async () => {
  const child = spawnChild("sleep", { args: ["30"] });
  try {
    await running(child.pid, "sleep");
    const [, pgrp, session] = procStat(child.pid);
    const [, serverGroup, serverSession] = procStat(Deno.pid);
    assert.equal(pgrp, child.pid);
    assert.notEqual(pgrp, serverGroup);
    assert.equal(session, serverSession, "a new session would be a CPU autogroup of its own");
  } finally {
    await child.stop();
  }
});

Deno.test("a child stopped before its wrapper made the group still stops", async () => {
  for (let i = 0; i < 20; i++) {
    const child = spawnChild("sleep", { args: ["30"] });
    const status = await child.stop();
    assert.equal(status.success, false);
  }
});

Deno.test("the process-group wrapper execs the program in place", () => {
  assert.deepEqual(
    inOwnProcessGroup("/usr/bin/perl", "/usr/bin/ffmpeg", ["-i", "x"]).args.slice(2),
    [
      "/usr/bin/ffmpeg",
      "-i",
      "x",
    ],
  );
  assert.deepEqual(inOwnProcessGroup(null, "/usr/bin/ffmpeg", ["-i", "x"]), {
    program: "/usr/bin/ffmpeg",
    args: ["-i", "x"],
  });
});

Deno.test("stop() sends the stop signal, and a child that exits on it is not killed", async () => {
  const child = spawnChild("sleep", { args: ["30"], graceMs: 5000 });
  const started = Date.now();
  const status = await child.stop();
  assert.equal(status.signal, "SIGTERM");
  assert.ok(Date.now() - started < 4000, "no wait for the grace");
  assert.ok(child.exited && child.stopping);
});

Deno.test("stop() with SIGINT lets the child finish its own way (the recorder's segment)", async () => {
  const child = spawnChild("sh", {
    args: ["-c", "trap 'exit 3' INT; echo ready; while :; do sleep 0.05; done"],
    stdout: "piped",
    stopSignal: "SIGINT",
  });
  assert.equal(await firstLine(child.stdout), "ready");
  const status = await child.stop();
  assert.equal(status.code, 3);
});

Deno.test("stop() SIGKILLs the whole group after the grace when the first signal is ignored", async () => {
  const child = spawnChild("sh", {
    args: ["-c", "trap '' TERM; sleep 30 & echo $!; wait"],
    stdout: "piped",
    graceMs: 300,
  });
  const grandchild = Number(await firstLine(child.stdout));
  assert.ok(grandchild > 0 && !dead(grandchild));
  const started = Date.now();
  const status = await child.stop();
  assert.equal(status.signal, "SIGKILL");
  assert.ok(Date.now() - started >= 290, `killed after ${Date.now() - started} ms`);
  for (let i = 0; i < 100 && !dead(grandchild); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(dead(grandchild), "the grandchild in the group was killed too");
  assert.equal(await child.stop(), status, "a second stop() only waits");
});

Deno.test("stderr is read to the end: every line to the caller, the last ones kept redacted", async () => {
  const lines: string[] = [];
  const script = [
    'for i in 1 2 3 4 5 6 7; do echo "line $i" >&2; done',
    "echo >&2",
    "echo 'open rtsp://admin:hunter2@cam/s failed' >&2",
    "printf 'last words' >&2",
    "exit 2",
  ].join("; ");
  const child = spawnChild("sh", { args: ["-c", script], onStderrLine: (l) => lines.push(l) });
  const status = await child.done;
  assert.equal(status.code, 2);
  assert.equal(lines.length, 10);
  assert.deepEqual(child.stderrTail, [
    "line 5",
    "line 6",
    "line 7",
    "open rtsp://admin:***@cam/s failed",
    "last words",
  ]);
  assert.equal(child.lastStderrLine, "last words");
});

Deno.test("exact-size reads from a real pipe cross its chunk boundaries", async () => {
  const child = spawnChild("head", { args: ["-c", "1000003", "/dev/urandom"], stdout: "piped" });
  let records = 0;
  for await (const record of readExactly(child.stdout, 1000)) {
    assert.equal(record.byteLength, 1000);
    records++;
  }
  assert.equal(records, 1000, "the 3 bytes left at the end are no record");
  assert.ok((await child.done).success);
});

Deno.test("a missing program fails when spawned, as Deno.Command does", async () => {
  assert.throws(() => spawnChild("vigil-no-such-program"), Deno.errors.NotFound);
  assert.throws(() => spawnChild("/nonexistent/ffmpeg"), Deno.errors.NotFound);
  const plain = await Deno.makeTempFile({ prefix: "vigil-not-a-program-" });
  try {
    await Deno.chmod(plain, 0o644);
    assert.throws(() => resolveProgram(plain), Deno.errors.NotFound, "not executable");
  } finally {
    await Deno.remove(plain);
  }
  assert.match(resolveProgram("sh"), /^\/.*\/sh$/);
});

Deno.test("the parent-death wrapper execs the program with the caller's signal", () => {
  assert.deepEqual(
    withParentDeathSignal("/usr/bin/setpriv", "/usr/bin/ffmpeg", ["-i", "x"], "SIGINT"),
    {
      program: "/usr/bin/setpriv",
      args: ["--pdeathsig", "INT", "--", "/usr/bin/ffmpeg", "-i", "x"],
    },
  );
  assert.deepEqual(withParentDeathSignal(null, "/usr/bin/ffmpeg", ["-i", "x"], "SIGTERM"), {
    program: "/usr/bin/ffmpeg",
    args: ["-i", "x"],
  });
});

Deno.test("runProcess() feeds stdin and collects stdout", async () => {
  const out = await runProcess("cat", { input: new TextEncoder().encode("frame bytes") });
  assert.ok(out.status.success);
  assert.equal(new TextDecoder().decode(out.stdout), "frame bytes");
  assert.equal(out.timedOut, false);
});

Deno.test("runProcess() kills a run that takes longer than its time limit", async () => {
  const started = Date.now();
  const out = await runProcess("sleep", { args: ["30"], timeoutMs: 200 });
  assert.equal(out.timedOut, true);
  assert.equal(out.status.signal, "SIGKILL");
  assert.ok(Date.now() - started < 5000);
});

Deno.test("a ProcessGroup knows its running children and settles when none is left", async () => {
  const group = new ProcessGroup();
  const a = group.spawn("sleep", { args: ["30"] });
  const b = group.spawn("sleep", { args: ["30"] });
  assert.deepEqual(group.pids.sort(), [a.pid, b.pid].sort());
  await a.stop();
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(group.pids, [b.pid]);
  let settled = false;
  const settling = group.settled().then(() => settled = true);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(settled, false, "b still runs");
  await b.stop();
  await settling;
  assert.deepEqual(group.pids, []);
});
