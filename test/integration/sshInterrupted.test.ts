// Creates cut off by a broken connection, for each resource kind: the create fails as an init error
// that keeps the resource (its id and an unverified state), refresh (read) finds what the host really
// has, and the next up (update) converges, whether the command ran in full or not at all. The remote
// host's `ip` is made slow for the one command being cut (test/support/sshHosts.ts, slowIp), so the
// connection can be broken while it runs; it is the real ip, on the real kernel, behind real sshd.
import { rmSync } from "node:fs";
import path from "node:path";
import { ExecaError } from "execa";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { repoRoot } from "../support/engine";
import { Iproute2Error } from "../../provider/exec/errors";
import { closeSshMasters } from "../../provider/exec/ssh";
import { macvtapHandlers } from "../../provider/resources/macvtap";
import { netNamespaceHandlers } from "../../provider/resources/netNamespace";
import { vethPairHandlers } from "../../provider/resources/vethPair";
import { asTheEngine } from "../support/engineCalls";
import { orIfGone, runId } from "../support/netns";
import { holdDefaultTapNodes } from "../support/tapNodes";
import { startSshHosts, type SshHost, type SshHosts } from "../support/sshHosts";

type Props = Record<string, unknown>;

let lab: SshHosts;
let host: SshHost;

beforeAll(async () => {
  lab = await startSshHosts(1, path.join(repoRoot, ".work"), { slowableIp: () => true });
  host = lab.hosts[0]!;
}, 60_000);
const nodePaths: string[] = [];
afterAll(async () => {
  await closeSshMasters();
  await lab?.stop();
  for (const nodePath of nodePaths) rmSync(nodePath, { force: true }); // /dev is the machine's: leave nothing there
});

const connection = () => ({ type: "ssh", host: host.address, privateKey: lab.clientKey, sshConfigFile: lab.sshConfigFile, connectRetries: 0 });
const providerText = "exports.handler = 'the provider, as the engine would pass it'";

async function until(ready: () => Promise<boolean>, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; !(await ready()); ) {
    if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
// test(1) says "no" with exit 1 and no words; anything else (nsenter could not enter the host) is thrown.
const hasFile = (file: string) =>
  host.exec("test", "-e", file).then(
    () => true,
    (error: unknown) => {
      if (error instanceof ExecaError && error.exitCode === 1 && error.stderr === "") return false;
      throw error;
    },
  );

/**
 * Runs `create` with the host's ip slow for commands containing `pattern`, and breaks the connection
 * once that command has started: `how` "network" kills sshd only (the command goes on and finishes),
 * "crash" kills everything on the host (it never runs). Returns the error, with sshd back up.
 */
async function cutOff(pattern: string, how: "network" | "crash", create: () => Promise<unknown>) {
  await host.slowIp(pattern);
  const outcome = create().then(
    () => new Error("the create was not cut off"),
    (error: unknown) => error,
  );
  let killed = false;
  try {
    await until(() => hasFile("/usr/local/sbin/started"), `a command with "${pattern}" to start`);
    await (how === "network" ? host.killSshd() : host.kill());
    killed = true;
    return (await outcome) as Iproute2Error & { id?: string; properties?: Props };
  } finally {
    await host.slowIp(undefined);
    if (killed) await host.start();
  }
}

/** What the engine checks of an init error: a resource to keep, its state with the provider text. */
function expectKept(error: Iproute2Error & { id?: string; properties?: Props }, object: string, id: string) {
  expect(error).toBeInstanceOf(Iproute2Error);
  expect(error.kind).toBe("interrupted");
  expect(error.message).toContain(`create ${object}`);
  expect(error.message).toContain(host.address);
  expect(error.id).toBe(id);
  expect(error.properties?.__provider).toBe(providerText);
  return error.properties ?? {};
}

const checked = async (handlers: { check(o: Props, n: Props): Promise<{ inputs: unknown }> }, args: Props) => ({
  ...((await handlers.check({}, { ...args, connection: connection() })).inputs as Props),
  __provider: providerText,
});
/** A namespace on the host holding a veth pair, the parent for a Macvtap; returns its removal. */
async function parentIn(name: string) {
  const ns = await asTheEngine(netNamespaceHandlers).create({ name, connection: connection() });
  const pair = await asTheEngine(vethPairHandlers).create({ name: "veth0", peerName: "veth1", netns: name, connection: connection() });
  return async () => {
    await vethPairHandlers.delete(pair.id, pair.outs);
    await netNamespaceHandlers.delete(ns.id, ns.outs);
  };
}
const namespaces = async () => (await host.exec("ip", "netns", "list")).split("\n").map((line) => line.split(" ")[0]);

describe("a create cut off by a broken connection", () => {
  it("NetNamespace: made in full on the host; refresh finds it, up adopts what is there", async () => {
    const name = `${runId}-cut`;
    const inputs = await checked(netNamespaceHandlers, { name });
    const error = await cutOff("-batch", "network", () => netNamespaceHandlers.create(inputs));
    const kept = expectKept(error, `NetNamespace "${name}"`, name);
    expect(kept.path).toBe(""); // never observed

    await until(async () => (await namespaces()).includes(name), "the cut-off ip netns add to finish on the host");
    const refreshed = await netNamespaceHandlers.read(name, kept);
    expect(refreshed.props).toMatchObject({ name, path: `/run/netns/${name}` });

    const { outs } = await netNamespaceHandlers.update(name, kept, inputs);
    expect(outs).toMatchObject({ name, loopbackUp: true, path: `/run/netns/${name}` });
    const [lo] = JSON.parse(await host.exec("ip", "-j", "-n", name, "link", "show", "dev", "lo")) as { flags: string[] }[];
    expect(lo?.flags).toContain("UP");

    await netNamespaceHandlers.delete(name, outs);
    expect(await namespaces()).not.toContain(name);
  });

  it("VethPair: never made (the host crashed first); the next up makes it", async () => {
    const netns = asTheEngine(netNamespaceHandlers);
    const ns = await netns.create({ name: "vethcut", connection: connection() });
    const inputs = await checked(vethPairHandlers, { name: "a0", peerName: "b0", netns: "vethcut", addresses: ["10.71.0.1/24"] });
    const error = await cutOff("-batch", "crash", () => vethPairHandlers.create(inputs));
    const kept = expectKept(error, `VethPair "a0"`, "vethcut/a0");
    expect(kept.ifindex).toBe(0);

    expect(await host.exec("ip", "-n", "vethcut", "-o", "link", "show")).not.toContain("a0");
    expect((await vethPairHandlers.read("vethcut/a0", kept)).id).toBe(""); // refresh: gone
    const { outs } = await vethPairHandlers.update("vethcut/a0", kept, inputs); // up without refresh: made
    const [end] = JSON.parse(await host.exec("ip", "-j", "-n", "vethcut", "addr", "show", "dev", "a0")) as { ifindex: number; addr_info: { local: string }[] }[];
    expect(outs).toMatchObject({ ifindex: end?.ifindex, addresses: ["10.71.0.1/24"], up: true });
    expect(end?.addr_info.map((a) => a.local)).toContain("10.71.0.1");

    await vethPairHandlers.delete("vethcut/a0", outs);
    await netNamespaceHandlers.delete(ns.id, ns.outs);
  });

  it("Macvtap: cut while making its device node; the next up settles the node and destroy removes it", async () => {
    const removeParent = await parentIn("tapcut");
    const nodePath = `/dev/${runId}-${process.pid}-tapcut`;
    nodePaths.push(nodePath);
    const inputs = await checked(macvtapHandlers, { name: "tap0", parent: "veth0", parentNetns: "tapcut", tapDevicePath: nodePath, tapMode: "0660" });
    // The node's first step reads the device numbers inside the namespace (ip netns exec ... cat
    // /sys/class/net/tap0/macvtap/...): not the link's announce settings, also set through netns exec.
    const error = await cutOff("/macvtap/", "network", () => macvtapHandlers.create(inputs));
    const kept = expectKept(error, `Macvtap "tap0"`, "tapcut/tap0");
    expect(kept).toMatchObject({ tapDevice: nodePath, tapDevNumbers: "", tapNodeCreated: true });
    expect(kept.ifindex).toBeGreaterThan(0); // the link itself was made and read back

    const { outs } = await macvtapHandlers.update("tapcut/tap0", kept, inputs);
    const numbers = (await host.exec("ip", "netns", "exec", "tapcut", "cat", `/sys/class/net/tap0/macvtap/tap${String(kept.ifindex)}/dev`)).trim();
    expect(outs).toMatchObject({ tapDevice: nodePath, tapDevNumbers: numbers, tapNodeCreated: true, tapMode: "0660" });
    expect(await host.exec("stat", "-c", "%F %a", nodePath)).toBe("character special file 660");

    await macvtapHandlers.delete("tapcut/tap0", outs);
    expect(await hasFile(nodePath)).toBe(false);
    await removeParent();
  });

  // Destroy straight after the cut, no refresh between: the state does not know the device's numbers,
  // so the node at the path with the numbers the link has is removed before the link is.
  it("Macvtap: cut while making its device node, then destroyed: the node it may have made goes with the link", async () => {
    const removeParent = await parentIn("tapcut3");
    const nodePath = `/dev/${runId}-${process.pid}-tapcut3`;
    nodePaths.push(nodePath);
    const inputs = await checked(macvtapHandlers, { name: "tap0", parent: "veth0", parentNetns: "tapcut3", tapDevicePath: nodePath, tapOwner: "nobody", tapMode: "0660" });
    const error = await cutOff("/macvtap/", "network", () => macvtapHandlers.create(inputs));
    const kept = expectKept(error, `Macvtap "tap0"`, "tapcut3/tap0");
    expect(kept).toMatchObject({ tapDevice: nodePath, tapDevNumbers: "", tapNodeCreated: true });
    // Cut this way the node program never ran; cut a moment later, it would have left this node.
    const numbers = (await host.exec("ip", "netns", "exec", "tapcut3", "cat", `/sys/class/net/tap0/macvtap/tap${String(kept.ifindex)}/dev`)).trim();
    await host.exec("mknod", "-m", "0660", nodePath, "c", ...numbers.split(":"));
    await host.exec("chown", "nobody", nodePath);

    await macvtapHandlers.delete("tapcut3/tap0", kept);
    expect(await hasFile(nodePath)).toBe(false);
    expect(await orIfGone(host.exec("ip", "-n", "tapcut3", "link", "show", "dev", "tap0"), "gone")).toBe("gone");
    await removeParent();
  });

  it("Macvtap: cut while making the link, which the host finished; refresh and up take it from there", async () => {
    const letGo = await holdDefaultTapNodes(); // its macvtap takes the default node, /dev/tap<ifindex>
    onTestFinished(letGo);
    const removeParent = await parentIn("tapcut2");
    const inputs = await checked(macvtapHandlers, { name: "tap0", parent: "veth0", parentNetns: "tapcut2", mode: "private" });
    const error = await cutOff("-batch", "network", () => macvtapHandlers.create(inputs));
    const kept = expectKept(error, `Macvtap "tap0"`, "tapcut2/tap0");
    expect(kept).toMatchObject({ ifindex: 0, tapDevice: "", tapNodeCreated: false });

    const linkOnHost = async () => JSON.parse(await orIfGone(host.exec("ip", "-j", "-d", "-n", "tapcut2", "link", "show", "dev", "tap0"), "[]")) as {
      ifindex: number; linkinfo: { info_kind: string; info_data: { mode: string } };
    }[];
    await until(async () => (await linkOnHost()).length === 1, "the cut-off link add to finish on the host");
    const refreshed = await macvtapHandlers.read("tapcut2/tap0", kept);
    const [link] = await linkOnHost();
    expect(refreshed.props).toMatchObject({ ifindex: link?.ifindex, mode: "private", tapDevice: `/dev/tap${String(link?.ifindex)}` });

    const { outs } = await macvtapHandlers.update("tapcut2/tap0", refreshed.props as Props, inputs);
    expect(outs).toMatchObject({ ifindex: link?.ifindex, tapDevice: `/dev/tap${String(link?.ifindex)}` });
    await macvtapHandlers.delete("tapcut2/tap0", outs);
    expect(await linkOnHost()).toEqual([]);
    await removeParent();
  });
});
