// Owner marks (#21) with the plain CLI (test/projects/many). A `pulumi up` killed with -9 half-way is
// recovered by what the CLI tells the user to do, `pulumi cancel` (the file backend keeps the killed
// run's lock), `pulumi refresh --clear-pending-creates` and `pulumi up`, with no edit of the program:
// the links the killed run made carry their resource's mark (or, cut off before it, their owner's
// creation group), so the next create takes them over. A link someone else made under a managed name,
// or another stack's, is never deleted and never taken over. It runs beside another file: on a busy
// machine the kill lands anywhere, between a link's add and its mark too.
import { readdirSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { CliStack } from "../support/cliStack";
import { repoRoot } from "../support/engine";
import { ip, ipJson, orIfGone, World } from "../support/netns";
import { proc, processTree, killTrees, type Proc } from "../support/processTree";
import { startSshHosts, type SshHosts } from "../support/sshHosts";
import { testStack } from "../support/testStack";

/** How the tests wait for what they watch; timings are never asserted. */
const waits = {
  /** Between two looks at the links an up has made so far (small: the kill must land half-way). */
  pollMs: 20,
  /** The longest an up may take to make the links the kill waits for. */
  killWithinMs: 60_000,
  /**
   * After a kill of the CLI alone, its plugins live on (orphans: the language host and the provider
   * never exit) and finish the creates they had started: the test waits until the links have not
   * changed for `settledMs` (at most `settleWithinMs`), then kills what is left.
   */
  settledMs: 1_000,
  settleWithinMs: 20_000,
};

interface HostLink {
  ifname: string;
  ifindex: number;
  ifalias?: string;
  /** "default", or a number: a create's creation group, until its mark. */
  group: string;
}

const project = "iproute2-many";
/** The mark docs/operations.md says a MacvlanLink of `stack` named `resource` carries (plain names: nothing encoded). */
const markOf = (stack: CliStack, resource: string) => `pulumi-iproute2:${ownerOf(stack, resource)}`;
const ownerOf = (stack: CliStack, resource: string) => `${project}/${stack.name}/MacvlanLink/${resource}`;
/** The CLI wraps long diagnostics to the terminal's width: compare text with no white space at all. */
const squeezed = (text: string) => text.replace(/\s+/g, "");
const oneLine = (text: string) => text.replace(/\s+/g, " ");
const names = (count: number) => Array.from({ length: count }, (_, i) => `mv${i}`);

const localMacvlans = (netns: string) => ipJson<HostLink[]>("-n", netns, "link", "show", "type", "macvlan");

/** The MacvlanLinks the stack's state holds, by resource name. */
async function macvlansInState(s: CliStack): Promise<string[]> {
  const exported = JSON.parse((await s.ok("stack", "export")).stdout) as { deployment: { resources?: { urn: string; type: string }[] } };
  return (exported.deployment.resources ?? []).filter((r) => r.type.endsWith(":MacvlanLink")).map((r) => r.urn.split("::").at(-1) ?? "");
}

async function waitUntil(ready: () => Promise<boolean>, what: string, withinMs: number, pollMs = waits.pollMs): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** Waits until `made()` has given the same count for `waits.settledMs`. */
async function settled(made: () => Promise<number>): Promise<void> {
  let last = await made();
  let since = Date.now();
  await waitUntil(
    async () => {
      const now = await made();
      if (now !== last) [last, since] = [now, Date.now()];
      return Date.now() - since >= waits.settledMs;
    },
    "the links to stop changing after the kill",
    waits.settleWithinMs,
  );
}

/**
 * Kills a running `pulumi up` with SIGKILL once `made()` counts `atLeast` links: the CLI alone (as `kill
 * -9 PID` does: its language host, program and provider live on as orphans and finish the creates they
 * had started), or the CLI and every process below it at one instant (as a CI runner's cancel or a
 * container's stop: the provider too, so a create may be cut anywhere). What is left is killed after.
 */
async function killHalfWay(run: ReturnType<CliStack["start"]>, made: () => Promise<number>, atLeast: number, how: "cli" | "tree") {
  const cli = run.pid !== undefined ? proc(run.pid) : undefined;
  if (!cli) throw new Error("pulumi did not start");
  let started: Proc[] = [cli];
  try {
    await waitUntil(async () => (await made()) >= atLeast || run.exitCode !== null, `${atLeast} links made by the up`, waits.killWithinMs);
    if (how === "tree") {
      killTrees([cli]);
    } else {
      started = processTree([cli]); // orphaned once the CLI is gone: the tree no longer leads to them
      process.kill(cli.pid, "SIGKILL");
    }
    const result = await run;
    expect(result.signal, `the up ended before the kill:\n${String(result.stdout)}\n${String(result.stderr)}`).toBe("SIGKILL");
    if (how === "cli") await settled(made);
  } finally {
    killTrees(started);
  }
}

describe("an up killed half-way", () => {
  const stacks: CliStack[] = [];
  const world = new World();
  let hosts: SshHosts | undefined;
  afterEach(async () => {
    for (const s of stacks.splice(0)) {
      await s.pulumi(["cancel", "--yes"]); // the lock a killed run leaves, if the test stopped before its own cancel
      await s.dispose();
    }
    await hosts?.stop();
    hosts = undefined;
    await world.cleanup();
  });

  /**
   * The scenario after the kill, as the CLI tells the user: `pulumi cancel` (the killed run's
   * lock), `pulumi refresh --clear-pending-creates`, `pulumi up`; no edit of the program. Then exactly
   * `count` links, each with its own mark, the ones the killed run made taken over (same ifindex), an
   * empty next preview, and a destroy that leaves none.
   */
  /** The file backend's attributes files of `stack` that a kill left empty, removed. */
  function removeEmptyAttributes(stack: string) {
    const stacks = path.join(repoRoot, ".pulumi-state", ".pulumi", "stacks"); // scripts/engine-env.sh's file backend
    for (const project of statSync(stacks, { throwIfNoEntry: false }) ? readdirSync(stacks) : []) {
      const file = path.join(stacks, project, `${stack}.json.attrs`);
      if (statSync(file, { throwIfNoEntry: false })?.size === 0) rmSync(file);
    }
  }

  async function recovers(s: CliStack, count: number, macvlans: () => Promise<HostLink[]>) {
    const madeByKilledRun = await macvlans();
    expect(madeByKilledRun.length).toBeLessThan(count);
    const cancel = await s.pulumi(["cancel", "--yes"]);
    if (cancel.exitCode !== 0) {
      // The file backend writes a stack's checkpoint whole, but its attributes file beside it is cut
      // empty when the kill lands on that write: "failed to load checkpoint: EOF". A user deletes it.
      expect(cancel.stdout + cancel.stderr).toContain("failed to load checkpoint: EOF");
      removeEmptyAttributes(s.name);
      await s.ok("cancel", "--yes");
    }
    await s.ok("refresh", "--clear-pending-creates", "--yes", "--skip-preview");
    // The case: links on the host that the state does not know (made, then the CLI died).
    expect(madeByKilledRun.length).toBeGreaterThan((await macvlansInState(s)).length);

    const up = await s.ok("up", "--yes", "--skip-preview");
    expect(oneLine(up.stdout + up.stderr)).toMatch(/resuming the create of MacvlanLink "mv\d+" cut off earlier/);
    const links = await macvlans();
    expect(links.map((l) => l.ifname).sort()).toEqual(names(count).sort());
    for (const link of links) expect([link.ifalias, link.group], link.ifname).toEqual([markOf(s, link.ifname), "default"]);
    const ifindex = (list: HostLink[]) => Object.fromEntries(list.map((l) => [l.ifname, l.ifindex]));
    expect(ifindex(links)).toMatchObject(ifindex(madeByKilledRun));
    await s.ok("preview", "--expect-no-changes");

    await s.ok("destroy", "--yes", "--skip-preview");
    expect(await macvlans()).toEqual([]);
  }

  // The case is 40 links and `kill -9` of the CLI; a CI runner's cancel kills every process
  // (fewer links: the suite's time matters, and 16 leave as many half-way).
  it.each([
    ["the CLI alone", "cli" as const, 40, 9],
    ["the CLI and every process below it, as a CI runner's cancel", "tree" as const, 16, 5],
  ])("converges with refresh --clear-pending-creates and up, no edit, after a kill -9 of %s", async (_title, how, count, killAt) => {
    const netns = await world.netns("kill");
    await world.vethParent(netns);
    const s = await testStack("test/projects/many", `kill-${how}`, { count: String(count), parentNetns: netns });
    stacks.push(s);
    const macvlans = () => localMacvlans(netns);

    await killHalfWay(s.start(["up", "--yes", "--skip-preview"]), async () => (await macvlans()).length, killAt, how);
    await recovers(s, count, macvlans);
  }, 240_000);

  it("converges the same over SSH", async () => {
    const count = 16;
    hosts = await startSshHosts(1, path.join(repoRoot, ".work"));
    const host = hosts.hosts[0]!;
    // The project's own namespace "lab" on the simulated host, with its veth parent.
    // None yet while `ip netns add` has made the namespace's file but not yet bound it (EINVAL).
    const notYet = (error: unknown) => {
      if (String((error as { stderr?: unknown }).stderr).includes('setting the network namespace "lab" failed: Invalid argument')) return "[]";
      throw error;
    };
    const macvlans = async () => JSON.parse((await orIfGone(host.exec("ip", "-j", "-n", "lab", "link", "show", "type", "macvlan"), "[]").catch(notYet)) || "[]") as HostLink[];
    const s = await testStack("test/projects/many", "kill-ssh", { count: String(count), sshHost: host.address, sshConfigFile: hosts.sshConfigFile });
    stacks.push(s);
    await s.setSecret("sshPrivateKey", hosts.clientKey);

    await killHalfWay(s.start(["up", "--yes", "--skip-preview"]), async () => (await macvlans()).length, 5, "tree");
    await recovers(s, count, macvlans);
    expect((await host.run("ip", "netns", "list")).stdout).not.toMatch(/\blab\b/);
  }, 240_000);
});

describe("a link of a managed name that is not ours", () => {
  const stacks: CliStack[] = [];
  const world = new World();
  afterEach(async () => {
    for (const s of stacks.splice(0)) await s.dispose();
    await world.cleanup();
  });

  /** Deletes `name` and makes a link of that name again by hand, as someone else would: no mark. */
  const remakeByHand = async (netns: string, name: string) => {
    await ip("-n", netns, "link", "del", name);
    await ip("-n", netns, "link", "add", name, "link", "veth0", "type", "macvlan", "mode", "bridge");
  };
  const linkOnHost = async (netns: string, name: string) => (await localMacvlans(netns)).find((l) => l.ifname === name);

  it("is reported gone by refresh, refused by create, and left by destroy", async () => {
    const netns = await world.netns("byhand");
    await world.vethParent(netns);
    const s = await testStack("test/projects/many", "byhand", { count: "2", parentNetns: netns });
    stacks.push(s);
    await s.ok("up", "--yes", "--skip-preview");
    const ours = await linkOnHost(netns, "mv0");

    await remakeByHand(netns, "mv0");
    const refresh = await s.ok("refresh", "--yes", "--skip-preview");
    expect(oneLine(refresh.stdout + refresh.stderr)).toMatch(/warning:.*"mv0".*made by someone else/);
    expect(await macvlansInState(s)).toEqual(["mv1"]);

    const up = await s.pulumi(["up", "--yes", "--skip-preview"]);
    expect(up.exitCode).not.toBe(0);
    expect(oneLine(up.stdout + up.stderr)).toMatch(/"mv0".*exists/);
    expect(oneLine(up.stdout + up.stderr)).toMatch(/adopt: true/);
    const handMade = await linkOnHost(netns, "mv0");
    expect(handMade).toBeDefined();
    expect(handMade?.ifalias).toBeUndefined();

    // Destroy with the state still naming mv1, which is someone else's by now.
    await remakeByHand(netns, "mv1");
    const destroy = await s.ok("destroy", "--yes", "--skip-preview");
    expect(oneLine(destroy.stdout + destroy.stderr)).toMatch(/warning:.*mv1/);
    expect((await localMacvlans(netns)).map((l) => l.ifname).sort()).toEqual(["mv0", "mv1"]);
    expect(await macvlansInState(s)).toEqual([]);
    expect(ours?.ifalias).toBe(markOf(s, "mv0"));
  }, 120_000);
});

describe("two stacks on one host declaring the same link", () => {
  const stacks: CliStack[] = [];
  const world = new World();
  afterEach(async () => {
    for (const s of stacks.splice(0)) await s.dispose();
    await world.cleanup();
  });

  it("cannot take or delete each other's link", async () => {
    const netns = await world.netns("twostacks");
    await world.vethParent(netns);
    const config = { count: "1", parentNetns: netns };
    const first = await testStack("test/projects/many", "first", config);
    stacks.push(first);
    const second = await testStack("test/projects/many", "second", config);
    stacks.push(second);
    const mv0 = async () => (await localMacvlans(netns)).find((l) => l.ifname === "mv0");

    await first.ok("up", "--yes", "--skip-preview");
    const firsts = await mv0();

    const refused = await second.pulumi(["up", "--yes", "--skip-preview"]);
    expect(refused.exitCode).not.toBe(0);
    expect(squeezed(refused.stdout + refused.stderr)).toContain(ownerOf(first, "mv0"));
    // The refused create never entered the second's state: this destroy only ends it (the check that a
    // destroy leaves another's link is the stale-state one below).
    await second.ok("destroy", "--yes", "--skip-preview");
    expect(await mv0()).toEqual(firsts);
    expect(firsts?.ifalias).toBe(markOf(first, "mv0"));

    // The first's link is untouched: it still converges, and nothing is left to change.
    await first.ok("preview", "--refresh", "--expect-no-changes");

    // A state that still names a link the other stack holds now (ours was deleted out of band, theirs
    // made since): its destroy leaves theirs and says whose it is.
    await ip("-n", netns, "link", "del", "mv0");
    await second.ok("up", "--yes", "--skip-preview");
    expect((await mv0())?.ifalias).toBe(markOf(second, "mv0"));
    const destroy = await first.ok("destroy", "--yes", "--skip-preview");
    expect(squeezed(destroy.stdout + destroy.stderr)).toContain(ownerOf(second, "mv0"));
    expect((await mv0())?.ifalias).toBe(markOf(second, "mv0"));
  }, 120_000);
});
