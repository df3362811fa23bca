// The tutorial's lab (examples/lab) as a user runs it: the plain `pulumi` CLI in the example's folder,
// on the real kernel, checked from outside Pulumi the way a user would: ping, `ip -j` dumps, the
// stack's outputs, and what `preview --diff` says.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type CliStack, previewSummary } from "../support/cliStack";
import { testStack } from "../support/testStack";
import { ip, ipJson, listNamespaces, pings } from "../support/netns";
import { docBlock, withResourcesSorted } from "../support/docBlocks";
import { scanCli } from "../support/scanned";

/**
 * What must look the same before and after: the host's links and the namespaces that exist, but for
 * those of the end-to-end files that run beside this one (this run's, with another file's prefix).
 */
async function hostSnapshot(prefix: string) {
  const links = await ipJson<{ ifname: string; ifindex: number; address?: string; mtu: number }[]>("link", "show");
  const anotherFiles = (name: string) => name.startsWith(inject("runId")) && !name.startsWith(prefix);
  return {
    links: links.map(({ ifname, ifindex, address, mtu }) => ({ ifname, ifindex, address, mtu })),
    namespaces: (await listNamespaces()).filter((name) => !anotherFiles(name)).sort(),
  };
}

interface DumpedLink {
  address: string;
  mtu: number;
  linkinfo: { info_kind: string; info_data: { mode: string } };
}

async function linkIn(netns: string, dev: string): Promise<DumpedLink | undefined> {
  const [link] = await ipJson<DumpedLink[]>("-d", "-n", netns, "link", "show", "dev", dev);
  return link;
}

/** The lines of a `preview --diff` that show a property change (`~ mode: "bridge" => "private"`). */
const changedLines = (stdout: string) => stdout.split("\n").filter((line) => line.includes("=>"));

describe("the macvlan lab, with the plain Pulumi CLI", () => {
  const prefix = `${inject("runId")}-e2e-`;
  const ns1 = `${prefix}ns1`;
  const ns2 = `${prefix}ns2`;
  let s: CliStack;
  let before: Awaited<ReturnType<typeof hostSnapshot>>;

  beforeAll(async () => {
    before = await hostSnapshot(prefix);
    s = await testStack("examples/lab", "lab", { namePrefix: prefix });
  });
  afterAll(async () => s?.dispose());

  it("comes up in bridge mode: ns1 reaches ns2, the veth peer and its own address", async () => {
    expect(await s.changes("up", "--yes")).toEqual({ create: 7 });
    expect(await pings(ns1, "10.77.0.2")).toBe(true);
    expect(await pings(ns1, "10.77.0.254")).toBe(true);
    expect(await pings(ns1, "10.77.0.1")).toBe(true);
    const mac1 = await linkIn(ns1, "mac1");
    expect(mac1?.linkinfo.info_data.mode).toBe("bridge");

    const outputs = await s.outputs();
    expect(outputs.namespaces).toEqual({ lab: `${prefix}lab`, ns1, ns2 });
    expect(outputs.children).toMatchObject({ mac1: { address: "10.77.0.1", macAddress: mac1?.address } });
    expect(outputs.vethPeer).toBe("10.77.0.254");

    const unchanged = await s.pulumi(["preview", "--expect-no-changes"]);
    expect(unchanged.exitCode, unchanged.stdout + unchanged.stderr).toBe(0);
    expect(await s.changes("up", "--yes")).toEqual({ same: 7 });
  });

  it("draws docs/scan.md's diagram of the lab: pulumi-iproute2 scan --format mermaid", async () => {
    const scan = await scanCli(["scan", "--netns", `${prefix}lab`, "--netns", ns1, "--netns", ns2, "--format", "mermaid"]);
    expect(scan.exitCode, scan.stderr).toBe(0);
    // docs/scan.md shows the demo's lab, whose namespaces are named demo-lab, demo-ns1 and demo-ns2, made
    // by the stack "demo" (whose marks are on them).
    const asTheDemo = scan.stdout.replaceAll(prefix, "demo-").replaceAll(`iproute2-lab/${s.name}/`, "iproute2-lab/demo/");
    expect(asTheDemo).toBe(docBlock("docs/scan.md", "lab", { marker: "scan", language: "mermaid" }));
  });

  /** Runs `check` with `key` set to `value` in the stack's config, then puts the config back. */
  async function withConfig(key: string, value: string, check: () => Promise<void>) {
    await s.ok("config", "set", key, value);
    try {
      await check();
    } finally {
      await s.ok("config", "rm", key);
    }
  }

  it.each(["private", "vepa", "source"])("previews bridge -> %s as an in-place update of mode only", async (mode) => {
    await withConfig("mode", mode, async () => {
      const preview = await s.ok("preview", "--diff");
      expect(previewSummary(preview.stdout)).toEqual({ update: 2, same: 5 });
      expect(changedLines(preview.stdout)).toHaveLength(2);
      for (const line of changedLines(preview.stdout)) expect(line).toMatch(new RegExp(`^\\s*~\\s*mode\\s*:\\s*"bridge" => "${mode}"\\s*$`));
      expect(preview.stdout).not.toMatch(/replace/);
    });
  });

  it("previews a new parent as a replace: the pair is renamed, so its children get a new parent", async () => {
    await withConfig("uplinkName", "uplink9", async () => {
      const preview = await s.ok("preview", "--diff");
      expect(previewSummary(preview.stdout)).toEqual({ replace: 3, same: 4 });
      expect(preview.stdout.match(/^\s*\+-\s*pulumi-nodejs:dynamic\/iproute2:MacvlanLink: \(replace\)$/gm)).toHaveLength(2);
      expect(changedLines(preview.stdout)).toHaveLength(3);
      for (const changed of changedLines(preview.stdout)) expect(changed).toMatch(/^\s*~\s*(name|parent)\s*:\s*"veth0" => "uplink9"\s*$/);
    });
  });

  it.each([
    ["update", "mode", "private"],
    ["replace", "uplinkName", "veth9"],
  ])("previews the %s exactly as docs/previews.md shows it", async (name, key, value) => {
    await withConfig(key, value, async () => {
      const preview = await s.ok("preview", "--diff");
      // docs/previews.md's stack is `dev`, with no namespace prefix.
      const asInDocs = preview.stdout.replaceAll(prefix, "").replaceAll(s.name, "dev").replace(/[ \t]+$/gm, "");
      expect(withResourcesSorted(asInDocs.trimEnd() + "\n")).toBe(withResourcesSorted(docBlock("docs/previews.md", name)));
    });
  });

  it("applies private mode: ns1 no longer reaches ns2, still reaches the veth peer", async () => {
    await withConfig("mode", "private", async () => {
      expect(await s.changes("up", "--yes")).toEqual({ update: 2, same: 5 });
      expect((await linkIn(ns1, "mac1"))?.linkinfo.info_data.mode).toBe("private");
      expect(await pings(ns1, "10.77.0.2")).toBe(false);
      expect(await pings(ns1, "10.77.0.254")).toBe(true);
    });
    expect(await s.changes("up", "--yes")).toEqual({ update: 2, same: 5 });
    expect(await pings(ns1, "10.77.0.2")).toBe(true);
  });

  it("drops a link deleted out of band on refresh, and recreates it on the next up", async () => {
    // ns1 has just talked to mac2: its neighbour entry for 10.77.0.2 names mac2's MAC.
    expect(await pings(ns1, "10.77.0.2", 1)).toBe(true);
    await ip("-n", ns2, "link", "del", "dev", "mac2");
    expect(await s.changes("refresh", "--yes")).toMatchObject({ delete: 1 });
    expect((await s.ok("stack", "export")).stdout).not.toContain("MacvlanLink::mac2");

    expect(await s.changes("up", "--yes")).toMatchObject({ create: 1 });
    // The new mac2 has a new MAC (none was pinned). It announced its address when it came up, so ns1's
    // very first ping reaches it: without that, ns1 would send to the old MAC for a minute or more.
    expect(await pings(ns1, "10.77.0.2", 1)).toBe(true);
    expect(await pings(ns2, "10.77.0.1", 1)).toBe(true);
  });

  it("shows an MTU changed out of band after refresh, and restores it on the next up", async () => {
    await ip("-n", ns1, "link", "set", "dev", "mac1", "mtu", "1400");
    expect(await s.changes("refresh", "--yes")).toMatchObject({ update: 1 });
    const preview = await s.ok("preview", "--diff");
    expect(preview.stdout).toMatch(/~\s*mtu\s*:\s*1400 => 1500/);
    await s.ok("up", "--yes");
    expect((await linkIn(ns1, "mac1"))?.mtu).toBe(1500);
  });

  it("destroys everything: the host looks exactly as it did before", async () => {
    expect(await s.changes("destroy", "--yes")).toEqual({ delete: 7 });
    expect(await hostSnapshot(prefix)).toEqual(before);
  });
});
