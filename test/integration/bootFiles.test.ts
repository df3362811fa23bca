// The programs that write and replay the boot description, as root on the real kernel, each run in a
// mount namespace of its own whose /etc is an overlay of this machine's (so nothing here touches this
// machine's /etc): the folder checks that keep another user from having root run code at boot, the
// restore program reading a hostile part as data, and writes from many operations at once.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ownerMark, parseMark } from "../../provider/ownerMark";
import { partOperationsCommand, unitProgram, writePartCommand } from "../../provider/plan/bootFiles";
import { filledPart, netNamespacePart, vethPairPart } from "../../provider/plan/bootPart";
import { bridgePart } from "../../provider/plan/bridge";
import { vxlanLifecycle } from "../../provider/resources/vxlan";
import { bridgeArgs } from "../../provider/schema/bridge";
import { vethPairArgs } from "../../provider/schema/vethPair";
import { vxlanArgs } from "../../provider/schema/vxlan";
import { netNamespaceArgs } from "../../provider/schema/netNamespace";
import { parseArgs } from "../../provider/schema/validate";
import { listNamespaces, runId } from "../support/netns";
import { ownEtcOverlay } from "../support/sshHosts";

let work: string;
let etc: number;
beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), "pi2-bootfiles-"));
  etc = 0;
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * Runs `script` (sh) as root in a mount namespace of its own, with an /etc of its own (this machine's
 * as it is, less its boot description) and /run/netns private; extra arguments are its $1...
 */
async function inOwnEtc(script: string, args: string[] = [], input?: string) {
  etc += 1;
  const dir = path.join(work, `etc${etc}`);
  await execa("mkdir", ["-p", `${dir}/upper`, `${dir}/work`]);
  const r = await execa("unshare", ["-m", "--propagation", "private", "sh", "-c", `${ownEtcOverlay(dir)} && exec sh -c "$0" boot-test "$@"`, script, ...args], {
    reject: false,
    input: input ?? "",
  });
  return { exitCode: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
}

const part = (name: string) => netNamespacePart(parseArgs(netNamespaceArgs, { name }));
const writer = writePartCommand("x", "").argv[2] ?? "";
/** sh that runs the writer with `op part` and the text on stdin: `write_part OP PART <text`. */
const withWriter = `write_part() { sh -c '${writer.replaceAll("'", `'"'"'`)}' pulumi-iproute2-boot "$@"; }`;

describe("the writer", () => {
  it("writes a part, the programs and the unit, enabled; with the last part removed, all of it goes", async () => {
    const p = part(`${runId}-bf1`);
    const r = await inOwnEtc(
      `${withWriter}
      write_part write "$1" <"$2" || exit
      stat -c '%n %U %a' /etc/pulumi-iproute2 /etc/pulumi-iproute2/parts /etc/pulumi-iproute2/parts/"$1" /etc/pulumi-iproute2/restore /etc/pulumi-iproute2/tap-node /etc/systemd/system/pulumi-iproute2.service
      readlink /etc/systemd/system/multi-user.target.wants/pulumi-iproute2.service
      write_part remove "$1" || exit
      ls -d /etc/pulumi-iproute2 /etc/systemd/system/pulumi-iproute2.service /etc/systemd/system/multi-user.target.wants/pulumi-iproute2.service 2>&1
      true`,
      [p.file, textFile(p.text)],
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n")).toEqual([
      "/etc/pulumi-iproute2 root 755",
      "/etc/pulumi-iproute2/parts root 755",
      `/etc/pulumi-iproute2/parts/${p.file} root 644`,
      "/etc/pulumi-iproute2/restore root 755",
      "/etc/pulumi-iproute2/tap-node root 755",
      "/etc/systemd/system/pulumi-iproute2.service root 644",
      "/etc/systemd/system/pulumi-iproute2.service",
      "ls: cannot access '/etc/pulumi-iproute2': No such file or directory",
      "ls: cannot access '/etc/systemd/system/pulumi-iproute2.service': No such file or directory",
      "ls: cannot access '/etc/systemd/system/multi-user.target.wants/pulumi-iproute2.service': No such file or directory",
    ]);
  });

  it.each([
    { case: "owned by another user", prepare: "mkdir -m 0755 /etc/pulumi-iproute2 && chown nobody /etc/pulumi-iproute2", error: /\/etc\/pulumi-iproute2 is owned by uid \d+, not root/ },
    { case: "writable by others", prepare: "mkdir -m 0777 /etc/pulumi-iproute2", error: /\/etc\/pulumi-iproute2 is writable by group or others \(mode 777\)/ },
    { case: "a symbolic link to another user's folder", prepare: 'mkdir -p "$3" && chown nobody "$3" && ln -s "$3" /etc/pulumi-iproute2', error: /\/etc\/pulumi-iproute2 is a symbolic link/ },
    { case: "its parts folder another user's", prepare: "mkdir -m 0755 -p /etc/pulumi-iproute2/parts && chown nobody /etc/pulumi-iproute2/parts", error: /\/etc\/pulumi-iproute2\/parts is owned by uid/ },
  ])("refuses a folder $case, naming it, and writes nothing", async ({ prepare, error }) => {
    const p = part(`${runId}-bf2`);
    const elsewhere = path.join(work, `elsewhere${etc}`);
    const r = await inOwnEtc(
      `${withWriter}
      ${prepare} || exit 9
      write_part write "$1" <"$2"
      echo "exit $?"
      find /etc/pulumi-iproute2/ "$3" -type f 2>/dev/null | wc -l`,
      [p.file, textFile(p.text), elsewhere],
    );
    expect(r.stderr).toMatch(error);
    expect(r.stderr).toContain("whoever can change it could have root run any command at boot");
    expect(r.stdout.split("\n")).toEqual(["exit 3", "0"]);
  });

  it("keeps every part when many operations write at once, and a unit that names each NIC once", async () => {
    const r = await inOwnEtc(
      `${withWriter}
      for i in $(seq 1 12); do
        printf 'format 1\\nobject link - m%s\\nlink - m%s\\nneeds link - eth%s\\n' "$i" "$i" "$((i % 3))" | write_part write "link:-:m$i.part" &
      done
      wait
      ls /etc/pulumi-iproute2/parts | wc -l
      grep -c '^Wants=sys-subsystem-net-devices-eth' /etc/systemd/system/pulumi-iproute2.service`,
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n")).toEqual(["12", "3"]);
  });
  it("keeps a write that another operation's teardown races on its way to the lock: it makes the folder again", async () => {
    // A gate in stat, in this mount namespace only: with PI2_GATE set, stat says it has been reached and
    // waits to be let through. The write of m2 is held at its check of the folder while the removal of
    // the host's only part takes the folder away; then it goes on.
    const gatedStat = path.join(work, "gated-stat");
    writeFileSync(
      gatedStat,
      `#!/bin/sh
      if [ -n "$PI2_GATE" ]; then
        touch "$PI2_GATE/reached"
        timeout 60 sh -c 'until [ -e "$1/go" ]; do sleep 0.05; done' gate "$PI2_GATE"
      fi
      exec ${path.join(work, "real-stat")} "$@"\n`,
      { mode: 0o755 },
    );
    const gate = mkdtempSync(path.join(work, "gate-"));
    const r = await inOwnEtc(
      `${withWriter}
      cp /usr/bin/stat "$1" && mount --bind "$2" /usr/bin/stat || exit 9
      printf 'format 1\\nobject link - m1\\nlink - m1\\n' | write_part write link:-:m1.part || exit
      printf 'format 1\\nobject link - m2\\nlink - m2\\n' | PI2_GATE="$3" write_part write link:-:m2.part &
      writer=$!
      timeout 60 sh -c 'until [ -e "$1/reached" ]; do sleep 0.05; done' gate "$3" || exit 8
      write_part remove link:-:m1.part
      echo "remove: exit $?"
      ls -d /etc/pulumi-iproute2 2>/dev/null || echo "folder gone"
      touch "$3/go"
      wait "$writer"
      echo "write: exit $?"
      ls /etc/pulumi-iproute2/parts`,
      [path.join(work, "real-stat"), gatedStat, gate],
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n")).toEqual(["remove: exit 0", "folder gone", "write: exit 0", "link:-:m2.part"]);
  });

  it("lets operations that leave the unit as it is run at once, and has one that changes it wait for the lock alone", async () => {
    const base = part(`${runId}-bf7`);
    const inNamespace = part(`${runId}-bf8`);
    // A link of the host's namespace on a parent in a namespace: the unit waits for no NIC of it.
    const hostLink = "format 1\nobject link - bf9\nlink - bf9\nneeds netns lab\nneeds link lab veth0\n";
    // A link on a NIC the unit does not name yet: the unit must be made anew.
    const newNic = "format 1\nobject link - bf10\nlink - bf10\nneeds link - eth7\n";
    const r = await inOwnEtc(
      `${withWriter}
      write_part write "$1" <"$2" || exit
      # Held shared, as an operation that leaves the unit as it is holds it (each writer below is
      # started without this descriptor, nor the shell that starts it in the background: a copy of it
      # holds the lock as well).
      exec 8</etc/pulumi-iproute2 && flock -s 8 || exit
      write_part write "$3" <"$4" 8<&-
      echo "namespace: exit $?"
      write_part write link:-:bf9.part <"$5" 8<&-
      echo "host link: exit $?"
      (exec 8<&- && write_part write link:-:bf10.part <"$6") &
      waiter=$!
      # Until the kernel shows it waiting for the lock alone on this folder (or it is gone).
      folder=$(stat -c %i /etc/pulumi-iproute2)
      until grep -q -- "-> FLOCK *ADVISORY *WRITE [0-9]* [0-9a-f]*:[0-9a-f]*:$folder " /proc/locks; do
        kill -0 "$waiter" 2>/dev/null || break
        sleep 0.05
      done
      ls /etc/pulumi-iproute2/parts
      grep -c eth7 /etc/systemd/system/pulumi-iproute2.service
      exec 8<&-
      wait "$waiter"
      echo "new NIC: exit $?"
      ls /etc/pulumi-iproute2/parts
      grep -c '^Wants=sys-subsystem-net-devices-eth7.device$' /etc/systemd/system/pulumi-iproute2.service`,
      [base.file, textFile(base.text), inNamespace.file, textFile(inNamespace.text), textFile(hostLink), textFile(newNic)],
    );
    expect(r.stderr).toBe("");
    const listed = (files: string[]) => [...files].sort().join("\n");
    expect(r.stdout).toBe(
      [
        "namespace: exit 0",
        "host link: exit 0",
        listed([base.file, inNamespace.file, "link:-:bf9.part"]),
        "0",
        "new NIC: exit 0",
        listed([base.file, inNamespace.file, "link:-:bf9.part", "link:-:bf10.part"]),
        "1",
      ].join("\n"),
    );
  });

  it("keeps the unit made from all parts, whatever writes and removes run at once, and removes it all with the last part", async () => {
    // Links in the host's namespace on NICs eth0..eth3, eth1 also made by a part (a veth end), then
    // half removed and half rewritten on other NICs at once: the unit, written only when it changes,
    // must still be what the unit program makes from the parts left.
    const r = await inOwnEtc(
      `${withWriter}
      link() { printf 'format 1\\nobject link - m%s\\nlink - m%s\\nneeds link - eth%s\\n' "$1" "$1" "$2"; }
      printf 'format 1\\nobject link - eth1\\nlink - eth1\\nlink - peer1\\n' | write_part write link:-:eth1.part || exit
      for i in $(seq 1 12); do link "$i" "$((i % 4))" | write_part write "link:-:m$i.part" & done
      wait
      for i in $(seq 1 12); do
        if [ $((i % 2)) = 0 ]; then write_part remove "link:-:m$i.part" & else link "$i" "$((i % 3 + 4))" | write_part write "link:-:m$i.part" & fi
      done
      write_part remove link:-:eth1.part &
      wait
      ls /etc/pulumi-iproute2/parts | wc -l
      cat /etc/pulumi-iproute2/parts/*.part | sh -c "$1" | cmp - /etc/systemd/system/pulumi-iproute2.service && echo "the unit of all parts"
      for i in $(seq 1 12); do write_part remove "link:-:m$i.part" & done
      wait
      ls -d /etc/pulumi-iproute2 /etc/systemd/system/pulumi-iproute2.service /etc/systemd/system/multi-user.target.wants/pulumi-iproute2.service 2>&1 | grep -c 'No such file'`,
      [unitProgram],
    );
    expect(r.stderr).toBe("");
    expect(r.stdout.split("\n")).toEqual(["6", "the unit of all parts", "3"]);
  });

  it("runs a batch of writes and removes as those operations one at a time would, batches at once with single ones, and refuses a part named twice", async () => {
    const link = (i: number, nic: number) => `format 1\nobject link - m${i}\nlink - m${i}\nneeds link - eth${nic}\n`;
    // On a host with no boot folder yet, a batch that ends with a remove still writes what it writes.
    const first = partOperationsCommand([
      ...[1, 2, 3, 4].map((i) => ({ op: "write" as const, file: `link:-:m${i}.part`, text: link(i, i % 2) })),
      { op: "remove", file: "link:-:gone.part" },
    ]);
    // Removes, rewrites on a new NIC (the unit changes), and a text whose lines look like operations.
    const second = partOperationsCommand([
      { op: "remove", file: "link:-:m1.part" },
      { op: "write", file: "link:-:m2.part", text: link(2, 7) },
      { op: "write", file: "link:-:odd.part", text: "format 1\nwrite x\nremove y\n|z\n\n" },
    ]);
    const twice = partOperationsCommand([{ op: "write", file: "link:-:m9.part", text: link(9, 9) }]).stdin + "remove link:-:m9.part\n";
    const many = [5, 6, 7, 8, 9, 10].map((i) => partOperationsCommand([{ op: "write", file: `link:-:m${i}.part`, text: link(i, 3) }, { op: "write", file: `link:-:n${i}.part`, text: link(i + 10, 3) }]));
    const r = await inOwnEtc(
      `${withWriter}
      unit=$1
      write_part batch <"$2" || exit
      printf '%s\\n' 'format 1' 'object link - m3' 'link - m3' 'needs link - eth1' | cmp - /etc/pulumi-iproute2/parts/link:-:m3.part && echo "as one write has it"
      write_part batch <"$3" || exit
      ls /etc/pulumi-iproute2/parts
      cat /etc/pulumi-iproute2/parts/link:-:odd.part
      write_part batch <"$4"
      echo "exit $?"
      test -e /etc/pulumi-iproute2/parts/link:-:m9.part || echo "m9 not written"
      shift 4
      for text; do write_part batch <"$text" & done
      for i in 2 3 4; do write_part remove "link:-:m$i.part" & done
      wait
      ls /etc/pulumi-iproute2/parts | wc -l
      cat /etc/pulumi-iproute2/parts/*.part | sh -c "$unit" | cmp - /etc/systemd/system/pulumi-iproute2.service && echo "the unit of all parts"`,
      [unitProgram, textFile(first.stdin ?? ""), textFile(second.stdin ?? ""), textFile(twice), ...many.map((c) => textFile(c.stdin ?? ""))],
    );
    expect(r.stderr).toBe("link:-:m9.part twice in one batch");
    expect(r.stdout.split("\n")).toEqual([
      "as one write has it",
      "link:-:m2.part",
      "link:-:m3.part",
      "link:-:m4.part",
      "link:-:odd.part",
      "format 1",
      "write x",
      "remove y",
      "|z",
      "exit 3",
      "m9 not written",
      "13",
      "the unit of all parts",
    ]);
  });
});

describe("the restore program", () => {
  const made: string[] = [];
  afterEach(async () => {
    for (const name of await listNamespaces()) if (made.includes(name)) await execa("ip", ["netns", "del", name]);
  });

  it("reads a part as data: a line it does not take runs nothing, and a hostile name is only a name", async () => {
    const pwned = path.join(work, "pwned");
    const good = part(`${runId}-bf3`);
    made.push(`${runId}-bf3`);
    const hostile = [
      "format 1",
      "resource NetNamespace",
      `object netns ${runId}-bf4`,
      `add - netns add ${runId}-bf4`,
      `ip - netns exec ${runId}-bf4 touch ${pwned}`,
    ].join("\n");
    // A name a shell would run (it has no space, so it stays one word), written past the schema.
    const trap = "$(touch${IFS}pwned2)";
    made.push(trap);
    const named = ["format 1", "resource NetNamespace", `object netns ${trap}`, `add - netns add ${trap}`].join("\n");
    const r = await inOwnEtc(
      `${withWriter}
      write_part write "$1" <"$2" || exit
      cp "$3" /etc/pulumi-iproute2/parts/netns:hostile.part && cp "$4" /etc/pulumi-iproute2/parts/netns:named.part || exit
      /etc/pulumi-iproute2/restore
      echo "exit $?"`,
      [good.file, textFile(good.text), textFile(hostile), textFile(named)],
    );
    made.push(`${runId}-bf4`);
    expect(r.stdout).toContain(`NetNamespace ${runId}-bf3: restored`);
    expect(r.stdout).toContain(`<3>NetNamespace ${runId}-bf4: not restored: refused line: ip netns exec ${runId}-bf4 touch ${pwned}`);
    expect(r.stdout).toContain(`NetNamespace ${trap}: restored`);
    expect(r.stdout).toMatch(/2 restored, 0 there already, 1 failed\nexit 1$/);
    // The refused part was taken back whole; nothing it said ran; the other name was only a name.
    expect(await listNamespaces()).toEqual(expect.arrayContaining([`${runId}-bf3`, trap]));
    expect(await listNamespaces()).not.toContain(`${runId}-bf4`);
    for (const folder of [work, "/", process.cwd()]) expect((await execa("ls", ["-a", folder])).stdout).not.toMatch(/pwned/);
  });

  it("replays a resource's owner's mark as its create wrote it (a namespace's: its lo's alias)", async () => {
    const name = `${runId}-bf6`;
    const owner = `lab/dev/NetNamespace/a 100% "odd" #name`;
    const p = netNamespacePart(parseArgs(netNamespaceArgs, { name, owner }));
    made.push(name);
    const r = await inOwnEtc(
      `${withWriter}
      write_part write "$1" <"$2" || exit
      /etc/pulumi-iproute2/restore >/dev/null || exit
      ip -j -n "$3" link show dev lo`,
      [p.file, textFile(p.text), name],
    );
    // Read in the restore's own mount namespace, where its namespace's file is mounted.
    const [lo] = JSON.parse(r.stdout) as { ifalias?: string; flags: string[] }[];
    expect(lo?.ifalias).toBe(ownerMark(owner));
    expect(parseMark(lo?.ifalias)?.owner).toBe(owner);
    expect(lo?.flags).toContain("UP");
  });

  it("brings a bridge back before its ports, which join it again, whatever order the parts list in", async () => {
    const netns = `${runId}-bf7`;
    made.push(netns);
    const ns = part(netns);
    // "link:NS:a0" lists before "link:NS:br0": the port's part waits for its bridge's.
    const port = vethPairPart(parseArgs(vethPairArgs, { name: "a0", peerName: "a1", netns, master: "br0", peerMaster: "br0" }));
    const bridge = bridgePart(parseArgs(bridgeArgs, { name: "br0", netns, stp: true, forwardDelay: 4 }));
    const pinned = (...indexes: number[]) => indexes.map((ifindex) => ({ ifindex, macAddress: `02:00:00:00:00:${ifindex}` }));
    const r = await inOwnEtc(
      `${withWriter}
      write_part write "$1" <"$2" && write_part write "$3" <"$4" && write_part write "$5" <"$6" || exit
      /etc/pulumi-iproute2/restore || exit
      ip -j -d -n "$7" link show`,
      [ns.file, textFile(ns.text), port.file, textFile(filledPart(port, pinned(40, 41))), bridge.file, textFile(filledPart(bridge, pinned(42))), netns],
    );
    expect(r.stderr).toBe("");
    const links = JSON.parse(r.stdout.split("\n").find((l) => l.startsWith("[")) ?? "[]") as { ifname: string; ifindex: number; master?: string; linkinfo?: { info_data?: object } }[];
    const byName = (name: string) => links.find((l) => l.ifname === name);
    expect(byName("br0")).toMatchObject({ ifindex: 42, linkinfo: { info_data: { stp_state: 1, forward_delay: 400 } } });
    expect(byName("a0")).toMatchObject({ ifindex: 40, master: "br0" });
    expect(byName("a1")).toMatchObject({ ifindex: 41, master: "br0" });
  });

  it("replays a Vxlan with its flood list (bridge fdb append, on the restore program's PATH)", async () => {
    const netns = `${runId}-bf9`;
    made.push(netns);
    const ns = netNamespacePart(parseArgs(netNamespaceArgs, { name: netns }));
    const d = parseArgs(vxlanArgs, { name: "vx0", netns, vni: 9, remote: "10.9.0.1", remotes: ["10.9.0.2", "10.9.0.3"], persist: true });
    const vx = filledPart(vxlanLifecycle.boot.part(d), [{ ifindex: 20, macAddress: "02:00:00:00:20:01" }]);
    expect(vx).toContain(`\nfdb ${netns} vx0 10.9.0.2\nfdb ${netns} vx0 10.9.0.3\n`);
    const r = await inOwnEtc(
      `${withWriter}
      write_part write "$1" <"$2" && write_part write "$3" <"$4" || exit
      /etc/pulumi-iproute2/restore || exit
      bridge -j -n "$5" fdb show dev vx0 && ip -j -d -n "$5" link show dev vx0`,
      [ns.file, textFile(ns.text), vxlanLifecycle.boot.file(d), textFile(vx), netns],
    );
    expect(r.stderr).toBe("");
    const [fdbDoc = "", linkDoc = ""] = r.stdout.split("\n").filter((line) => line.startsWith("["));
    const entries = JSON.parse(fdbDoc) as { mac: string; dst?: string }[];
    expect(entries.filter((e) => e.mac === "00:00:00:00:00:00").map((e) => e.dst).sort()).toEqual(["10.9.0.1", "10.9.0.2", "10.9.0.3"]);
    const [link] = JSON.parse(linkDoc) as { ifindex: number; address: string; linkinfo: { info_data: { id: number; port: number } } }[];
    expect(link).toMatchObject({ ifindex: 20, address: "02:00:00:00:20:01", linkinfo: { info_data: { id: 9, port: 4789 } } });
  });

  it("reads no part from a folder another user could change", async () => {
    const p = part(`${runId}-bf5`);
    made.push(`${runId}-bf5`);
    const r = await inOwnEtc(
      `${withWriter}
      write_part write "$1" <"$2" || exit
      chmod 0777 /etc/pulumi-iproute2/parts
      /etc/pulumi-iproute2/restore
      echo "exit $?"`,
      [p.file, textFile(p.text)],
    );
    expect(r.stdout).toBe("<3>/etc/pulumi-iproute2/parts is writable by group or others (mode 777): not read\nexit 1");
    expect(await listNamespaces()).not.toContain(`${runId}-bf5`);
  });
});

let files = 0;
/** `text` in a file of the test's folder: its path. */
function textFile(text: string): string {
  files += 1;
  const file = path.join(work, `text${files}`);
  writeFileSync(file, text);
  return file;
}
