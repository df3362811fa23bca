// The same resources over SSH, against real sshd hosts (test/support/sshHosts.ts), checked from inside
// each host the way an administrator would.
import { rmSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { macvlanLinkHandlers } from "../../provider/resources/macvlanLink";
import { macvtapHandlers } from "../../provider/resources/macvtap";
import { netNamespaceHandlers } from "../../provider/resources/netNamespace";
import { vethPairHandlers } from "../../provider/resources/vethPair";
import { repoRoot } from "../support/engine";
import { closeSshMasters } from "../../provider/exec/ssh";
import { asTheEngine } from "../support/engineCalls";
import { runId } from "../support/netns";
import { startSshHosts, type SshHosts } from "../support/sshHosts";

let lab: SshHosts;

beforeAll(async () => {
  // The third host allows two sessions per connection, as a hardened sshd might (the default is 10).
  lab = await startSshHosts(3, path.join(repoRoot, ".work"), { sshdConfig: (index) => (index === 2 ? ["MaxSessions 2"] : []) });
}, 60_000);
afterAll(async () => {
  await closeSshMasters();
  await lab?.stop();
});

const namespaces = asTheEngine(netNamespaceHandlers);
const ssh = (index: number, extra: Record<string, unknown> = {}) => ({
  type: "ssh",
  host: lab.hosts[index]?.address,
  privateKey: lab.clientKey,
  sshConfigFile: lab.sshConfigFile,
  ...extra,
});

describe("resources over SSH", () => {
  it("lays out a namespace, a veth parent and a macvlan on a remote host, and removes them", async () => {
    const host = lab.hosts[0]!;
    const veth = asTheEngine(vethPairHandlers);
    const macvlan = asTheEngine(macvlanLinkHandlers);
    const ns = await namespaces.create({ name: "lab", connection: ssh(0) });
    const pair = await veth.create({ name: "veth0", peerName: "veth1", netns: "lab", connection: ssh(0) });
    const mac = await macvlan.create({ name: "mac1", parent: "veth0", parentNetns: "lab", mode: "private", addresses: ["10.70.0.1/24"], connection: ssh(0) });

    const [link] = JSON.parse(await host.exec("ip", "-j", "-d", "-n", "lab", "addr", "show", "dev", "mac1")) as {
      address: string; linkinfo: { info_data: { mode: string } }; addr_info: { local: string }[];
    }[];
    expect(link?.linkinfo.info_data.mode).toBe("private");
    expect(mac.outs).toMatchObject({ macAddress: link?.address, addresses: ["10.70.0.1/24"] });
    expect((await macvlanLinkHandlers.read(mac.id, mac.outs)).props).toEqual(mac.outs);

    const { outs } = await macvlan.update(mac.outs, { ...mac.inputs, mode: "bridge" });
    expect(outs).toMatchObject({ mode: "bridge", ifindex: mac.outs.ifindex });

    await macvlanLinkHandlers.delete(mac.id, outs ?? {});
    await vethPairHandlers.delete(pair.id, pair.outs);
    await netNamespaceHandlers.delete(ns.id, ns.outs);
    expect(await host.exec("ip", "netns", "list")).toBe("");
  });

  it("makes a Macvtap and its device node on the remote host, owned by a user only that host has", async () => {
    const host = lab.hosts[0]!;
    const veth = asTheEngine(vethPairHandlers);
    const ns = await namespaces.create({ name: "taplab", connection: ssh(0) });
    const pair = await veth.create({ name: "veth0", peerName: "veth1", netns: "taplab", connection: ssh(0) });
    const nodePath = `/dev/${runId}-${process.pid}-sshtap`;
    try {
      const tap = await asTheEngine(macvtapHandlers).create({
        name: "tap0", parent: "veth0", parentNetns: "taplab", tapDevicePath: nodePath, tapOwner: "deploy", tapMode: "0660", connection: ssh(0),
      });
      const sysfs = (await host.exec("ip", "netns", "exec", "taplab", "cat", `/sys/class/net/tap0/macvtap/tap${String(tap.outs.ifindex)}/dev`)).trim();
      // "deploy" exists in the host's passwd only (uid 1500): the name was resolved there.
      expect(await host.exec("stat", "-c", "%U %u %a %F", nodePath)).toBe("deploy 1500 660 character special file");
      expect(tap.outs).toMatchObject({ tapDevice: nodePath, tapDevNumbers: sysfs, tapOwner: "deploy", tapMode: "0660", tapNodeCreated: true });
      expect((await macvtapHandlers.read(tap.id, tap.outs)).props).toEqual(tap.outs);

      await host.exec("chmod", "0644", nodePath); // drift, as someone on the host might cause
      expect((await macvtapHandlers.read(tap.id, tap.outs)).props).toMatchObject({ tapMode: "0644" });

      await macvtapHandlers.delete(tap.id, tap.outs);
      expect(await host.exec("sh", "-c", `test -e ${nodePath} && echo left || echo gone`)).toBe("gone");
    } finally {
      rmSync(nodePath, { force: true }); // /dev is shared with this machine: leave nothing there
    }
    await vethPairHandlers.delete(pair.id, pair.outs);
    await netNamespaceHandlers.delete(ns.id, ns.outs);
  });

  // docs/resources.md asks sudoers to allow ip and sh only: every read and change of a Macvtap's node runs as
  // the package's own sh program (no bare stat, cat or test). A sudo that refuses one is an error naming
  // the resource, its host and the command refused.
  it("makes, reads and removes a Macvtap through a sudo that runs only ip and sh; names the command a stricter sudo refuses", async () => {
    const host = lab.hosts[0]!;
    const veth = asTheEngine(vethPairHandlers);
    const ns = await namespaces.create({ name: "sudotap", connection: ssh(0) });
    const pair = await veth.create({ name: "veth0", peerName: "veth1", netns: "sudotap", connection: ssh(0) });
    const nodePath = `/dev/${runId}-${process.pid}-sudotap`;
    const links = async () => (JSON.parse(await host.exec("ip", "-j", "-n", "sudotap", "link", "show")) as { ifname: string }[]).map((l) => l.ifname);
    try {
      const tap = await asTheEngine(macvtapHandlers).create({
        name: "tap0", parent: "veth0", parentNetns: "sudotap", tapDevicePath: nodePath, tapOwner: "deploy", tapMode: "0660", connection: ssh(0, { user: "ipsh", sudo: true }),
      });
      expect(await host.exec("stat", "-c", "%U %a %F", nodePath)).toBe("deploy 660 character special file");
      expect((await macvtapHandlers.read(tap.id, tap.outs)).props).toEqual(tap.outs);
      await macvtapHandlers.delete(tap.id, tap.outs);
      expect(await host.exec("sh", "-c", `test -e ${nodePath} && echo left || echo gone`)).toBe("gone");
      expect(await links()).not.toContain("tap0");

      const refused = asTheEngine(macvtapHandlers).create({
        name: "tap1", parent: "veth0", parentNetns: "sudotap", tapDevicePath: nodePath, persist: false, connection: ssh(0, { user: "iponly", sudo: true }),
      });
      await expect(refused).rejects.toMatchObject({ kind: "permission" });
      await expect(refused).rejects.toThrow(
        /^set up the device node of Macvtap "tap1" in netns "sudotap" on iponly@10\.90\.0\.2: sudo refused to run sh \(sudo: a password is required\); taking the link back failed too \(.*sudo refused to run sh.*\): check the host by hand\. With connection\.sudo, sudoers must let the connection's user run ip, bridge \(a Vxlan's flood list\) and sh as root without a password \(NOPASSWD\)/,
      );
      // Taken back as far as ip can: the boot description's writer is an sh program too.
      expect(await links()).not.toContain("tap1");
    } finally {
      rmSync(nodePath, { force: true }); // /dev is shared with this machine: leave nothing there
    }
    await vethPairHandlers.delete(pair.id, pair.outs);
    await netNamespaceHandlers.delete(ns.id, ns.outs);
  });

  it("keeps each host's namespaces its own: both can have a namespace named ns1", async () => {
    const first = await namespaces.create({ name: "ns1", connection: ssh(0) });
    const second = await namespaces.create({ name: "ns1", connection: ssh(1) });
    expect(await lab.hosts[0]!.exec("ip", "netns", "list")).toContain("ns1");
    expect(await lab.hosts[1]!.exec("ip", "netns", "list")).toContain("ns1");
    await netNamespaceHandlers.delete(first.id, first.outs);
    await netNamespaceHandlers.delete(second.id, second.outs);
  });

  it("refuses a host whose key does not match the pinned one, saying how to pin it", async () => {
    const other = lab.hosts[1]!.hostKey;
    await expect(namespaces.create({ name: "x", connection: ssh(0, { hostKey: other }) })).rejects.toThrow(/host key of 10\.90\.0\.2 could not be verified.*Pin it with connection.hostKey/s);
  });

  it("runs as a non-root user through sudo -n, and says so when sudo wants a password or is not used", async () => {
    const made = await namespaces.create({ name: "bysudo", connection: ssh(0, { user: "deploy", sudo: true }) });
    expect(await lab.hosts[0]!.exec("ip", "netns", "list")).toContain("bysudo");
    await netNamespaceHandlers.delete(made.id, made.outs);

    await expect(namespaces.create({ name: "nope", connection: ssh(0, { user: "askpw", sudo: true }) })).rejects.toThrow(
      /create NetNamespace "nope" on askpw@10\.90\.0\.2: .*a password is required.*NOPASSWD/,
    );
    await expect(namespaces.create({ name: "nope", connection: ssh(0, { user: "deploy" }) })).rejects.toThrow(/Permission denied|Operation not permitted/);
    expect(await lab.hosts[0]!.exec("ip", "netns", "list")).not.toContain("nope");
  });

  it("uses a key protected by a passphrase, and says so when the passphrase is wrong", async () => {
    const { key, passphrase } = lab.lockedKey;
    await closeSshMasters(); // a new connection, which must authenticate with this key
    const made = await namespaces.create({ name: "locked", connection: ssh(1, { privateKey: key, privateKeyPassphrase: passphrase, connectRetries: 0 }) });
    expect(await lab.hosts[1]!.exec("ip", "netns", "list")).toContain("locked");
    await netNamespaceHandlers.delete(made.id, made.outs);

    await closeSshMasters(); // so the next connection has to authenticate again
    await expect(namespaces.create({ name: "x", connection: ssh(1, { privateKey: key, privateKeyPassphrase: "wrong", connectRetries: 0 }) })).rejects.toThrow(/the private key could not be unlocked with privateKeyPassphrase.*Check connection.privateKey and connection.privateKeyPassphrase/s);
  });

  it("says a host is unreachable within the connect timeout, naming it", async () => {
    const unreachable = { type: "ssh", host: "10.90.9.9", sshConfigFile: lab.sshConfigFile, connectTimeoutSeconds: 2, connectRetries: 1 };
    const started = Date.now();
    await expect(namespaces.create({ name: "x", connection: unreachable })).rejects.toThrow(/connect to the SSH connection on 10\.90\.9\.9: ssh failed after 2 attempts/);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("shares one connection: 20 operations on one host open one TCP connection to it", async () => {
    const host = lab.hosts[1]!;
    await closeSshMasters(); // so the operations below must open their own connection: exactly one
    const connectionsBefore = (host.log().match(/Connection from/g) ?? []).length;
    const made = await Promise.all(Array.from({ length: 20 }, (_, i) => namespaces.create({ name: `many${i}`, connection: ssh(1) })));
    await Promise.all(made.map((m) => netNamespaceHandlers.delete(m.id, m.outs)));
    const connectionsAfter = (host.log().match(/Connection from/g) ?? []).length;
    expect(connectionsAfter - connectionsBefore).toBe(1);
  });

  it("stays within the server's MaxSessions: more operations than it allows at once all succeed", async () => {
    const host = lab.hosts[2]!;
    // The master first (its setup would otherwise gather every operation into one batch).
    const warm = await namespaces.create({ name: "warm", connection: ssh(2) });
    await netNamespaceHandlers.delete(warm.id, warm.outs);
    // Arriving one by one while earlier ones still run, as a deployment's operations do, so the
    // runner wants more sessions than sshd gives it.
    const made = await Promise.all(
      Array.from({ length: 24 }, async (_, i) => {
        await new Promise((resolve) => setTimeout(resolve, i * 15));
        return namespaces.create({ name: `limited${i}`, connection: ssh(2) });
      }),
    );
    expect((await host.exec("ip", "netns", "list")).split("\n").filter((line) => line.startsWith("limited"))).toHaveLength(24);
    await Promise.all(made.map((m) => netNamespaceHandlers.delete(m.id, m.outs)));
    expect(await host.exec("ip", "netns", "list")).toBe("");
    // sshd's own account: two sessions served everything; one more was asked for once, refused, and
    // the runner queued from then on.
    expect(host.log().match(/Starting session/g)).toHaveLength(2);
    expect(host.log().match(/no more sessions/g)).toHaveLength(1);
  });

  // The connection's own namespace has no name: a link in a named one knows it by an id without a name.
  it("adopts a pair and a child whose peer or parent is in the host's own namespace, and refuses a lookalike parent in a named one", async () => {
    const host = lab.hosts[0]!;
    const sh = (script: string) => host.exec("sh", "-c", script);
    try {
      await sh("ip netns add adopt1 && ip netns add adopt2 && ip link add name hv0 type veth peer name hv1 netns adopt1 && ip link set hv0 up");
      await sh("ip link add name m link hv0 netns adopt1 type macvlan mode bridge");
      // In adopt2, a parent with hv0's name and ifindex, and a child of it moved into adopt1.
      const [hv0] = JSON.parse(await host.exec("ip", "-j", "link", "show", "dev", "hv0")) as { ifindex: number }[];
      await sh(`ip -n adopt2 link add name hv0 index ${hv0?.ifindex} type veth peer name hv9 && ip -n adopt2 link add name m2 link hv0 netns adopt1 type macvlan mode bridge`);

      const pair = await asTheEngine(vethPairHandlers).create({ name: "hv0", peerName: "hv1", peerNetns: "adopt1", adopt: true, connection: ssh(0) });
      expect(pair.outs).toMatchObject({ ifindex: hv0?.ifindex, adopt: true });
      expect((await vethPairHandlers.read(pair.id, pair.outs)).id).toBe(pair.id);
      const child = await asTheEngine(macvlanLinkHandlers).create({ name: "m", parent: "hv0", netns: "adopt1", adopt: true, connection: ssh(0) });
      expect((await macvlanLinkHandlers.read(child.id, child.outs)).id).toBe(child.id);

      await expect(asTheEngine(macvlanLinkHandlers).create({ name: "m2", parent: "hv0", netns: "adopt1", adopt: true, connection: ssh(0) })).rejects.toThrow(
        /link "m2" exists but is macvlan on ifindex \d+ in netns "adopt2", not macvlan on "hv0" in the host's namespace/,
      );
    } finally {
      await sh("ip netns del adopt1; ip netns del adopt2; ip link del hv0; true");
    }
  });
});
