// The tutorial's lab as a stack, run by the real Pulumi CLI on the real kernel, checked from outside
// Pulumi the way a user would: ping, `ip -j` dumps, and what `preview --diff` says.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import type { labProgram } from "../../examples/lab/program";
import { ip, ipJson, listNamespaces, pings } from "../support/netns";
import { exampleProgram, testStack, type TestStack } from "../support/stack";

const quiet = { onOutput: () => undefined };

/** What must look the same before and after: the host's links and the namespaces that exist. */
async function hostSnapshot() {
  const links = await ipJson<{ ifname: string; ifindex: number; address?: string; mtu: number }[]>("link", "show");
  return {
    links: links.map(({ ifname, ifindex, address, mtu }) => ({ ifname, ifindex, address, mtu })),
    namespaces: (await listNamespaces()).sort(),
  };
}

async function mtuOf(netns: string, dev: string): Promise<number | undefined> {
  const [link] = await ipJson<{ mtu: number }[]>("-n", netns, "link", "show", "dev", dev).catch(() => []);
  return link?.mtu;
}

describe("the macvlan lab, end to end with the Pulumi CLI", () => {
  const prefix = `${inject("runId")}-e2e-`;
  const ns1 = `${prefix}ns1`;
  const ns2 = `${prefix}ns2`;
  let s: TestStack;
  let before: Awaited<ReturnType<typeof hostSnapshot>>;

  beforeAll(async () => {
    before = await hostSnapshot();
    const { labProgram: program } = exampleProgram<{ labProgram: typeof labProgram }>("lab");
    s = await testStack("lab", program, { namePrefix: prefix });
  });
  afterAll(async () => s?.dispose());

  it("comes up in bridge mode: ns1 reaches ns2, the veth peer and its own address", async () => {
    const up = await s.stack.up(quiet);
    expect(up.summary.resourceChanges).toEqual({ create: 7 });
    expect(await pings(ns1, "10.77.0.2")).toBe(true);
    expect(await pings(ns1, "10.77.0.254")).toBe(true);
    expect(await pings(ns1, "10.77.0.1")).toBe(true);
    const [mac1] = await ipJson<{ address: string; linkinfo: { info_data: { mode: string } } }[]>("-d", "-n", ns1, "link", "show", "dev", "mac1");
    expect(mac1?.linkinfo.info_data.mode).toBe("bridge");
    expect(up.outputs.mac1?.value.macAddress).toBe(mac1?.address);

    const again = await s.stack.up(quiet);
    expect(again.summary.resourceChanges).toEqual({ same: 7 });
  });

  it("previews a switch to private mode as an in-place update of mode only, and applies it", async () => {
    await s.stack.setConfig("mode", { value: "private" });
    const preview = await s.stack.preview({ diff: true });
    expect(preview.changeSummary).toEqual({ update: 2, same: 5 });
    const changedLines = preview.stdout.split("\n").filter((line) => line.includes("=>"));
    expect(changedLines).toHaveLength(2);
    for (const line of changedLines) expect(line).toMatch(/^\s*~\s*mode\s*:\s*"bridge" => "private"\s*$/);
    expect(preview.stdout).not.toMatch(/replace/);

    const up = await s.stack.up(quiet);
    expect(up.summary.resourceChanges).toEqual({ update: 2, same: 5 });
    expect(await pings(ns1, "10.77.0.2")).toBe(false);
    expect(await pings(ns1, "10.77.0.254")).toBe(true);

    await s.stack.setConfig("mode", { value: "bridge" });
    await s.stack.up(quiet);
    expect(await pings(ns1, "10.77.0.2")).toBe(true);
  });

  it("drops a link deleted out of band on refresh, and recreates it on the next up", async () => {
    await ip("-n", ns2, "link", "del", "dev", "mac2");
    const refresh = await s.stack.refresh(quiet);
    expect(refresh.summary.resourceChanges).toMatchObject({ delete: 1 });
    expect(await s.exportText()).not.toContain("MacvlanLink::mac2");

    const up = await s.stack.up(quiet);
    expect(up.summary.resourceChanges).toMatchObject({ create: 1 });
    // The new mac2 has a new MAC (none was pinned). ns1's neighbour entry still names the old one until
    // it expires; the new link's own first packet (its ARP request) teaches ns1 the new MAC.
    expect(await pings(ns2, "10.77.0.1")).toBe(true);
    expect(await pings(ns1, "10.77.0.2")).toBe(true);
  });

  it("shows an MTU changed out of band on refresh, and restores it on the next up", async () => {
    await ip("-n", ns1, "link", "set", "dev", "mac1", "mtu", "1400");
    const refresh = await s.stack.refresh(quiet);
    expect(refresh.summary.resourceChanges).toMatchObject({ update: 1 });
    const preview = await s.stack.preview({ diff: true });
    expect(preview.stdout).toMatch(/~\s*mtu\s*:\s*1400 => 1500/);
    await s.stack.up(quiet);
    expect(await mtuOf(ns1, "mac1")).toBe(1500);
  });

  it("destroys everything: the host looks exactly as it did before", async () => {
    const destroy = await s.stack.destroy(quiet);
    expect(destroy.summary.resourceChanges).toEqual({ delete: 7 });
    expect(await hostSnapshot()).toEqual(before);
  });
});
