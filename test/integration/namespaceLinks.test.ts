// Refresh's reads of many links in one namespace share one listing, and see what single reads see.
import { afterEach, describe, expect, it } from "vitest";
import { Gatherings } from "../../provider/exec/gathered";
import { LocalRunner } from "../../provider/exec/local";
import type { Command, Runner } from "../../provider/exec/runner";
import { readLinkBatched } from "../../provider/state/namespaceLinks";
import { readLinkAlone } from "../../provider/state/oneLink";
import { ip, World } from "../support/netns";

/** The local runner, counting its round trips. */
class CountingRunner implements Runner {
  readonly host = "localhost";
  readonly machine = "counting";
  readonly gatherings = new Gatherings();
  roundTrips = 0;
  private readonly local = new LocalRunner({ type: "local", sudo: false, persist: true });
  run(commands: Command[]) {
    this.roundTrips += 1;
    return this.local.run(commands);
  }
}

describe("shared namespace reads", () => {
  const world = new World();
  afterEach(async () => world.cleanup());

  it("reads 20 links with one round trip, exactly as 20 single reads see them", async () => {
    const lab = await world.netns("lab");
    await world.vethParent(lab);
    const names = Array.from({ length: 20 }, (_, i) => `m${i}`);
    for (const [i, name] of names.entries()) {
      await ip("-n", lab, "link", "add", "link", "veth0", "name", name, "type", "macvlan", "mode", i % 2 ? "bridge" : "private");
      await ip("-n", lab, "addr", "add", `10.59.${i}.1/24`, "dev", name);
      await ip("-n", lab, "addr", "add", `fd59:${i}::1/64`, "dev", name, "nodad");
      await ip("-n", lab, "link", "set", "dev", name, "up");
      await ip("-n", lab, "route", "add", `10.60.${i}.0/24`, "via", `10.59.${i}.254`, "dev", name, "proto", "static");
      await ip("-n", lab, "route", "add", `fd60:${i}::/64`, "via", `fd59:${i}::fe`, "dev", name, "proto", "static");
    }
    const runner = new CountingRunner();
    const shared = await Promise.all([...names, "absent"].map((name) => readLinkBatched(runner, lab, name)));
    expect(runner.roundTrips).toBe(1);
    expect(shared.at(-1)).toBeUndefined();

    const single = await Promise.all(names.map((name) => readLinkAlone(new LocalRunner({ type: "local", sudo: false, persist: true }), lab, name)));
    // The same links, each placing its parent from the namespace's ids listed in the same batch.
    expect(shared.slice(0, -1).map((link) => link && { ...link, peer: undefined })).toEqual(single.map((link) => link && { ...link, peer: undefined }));
    expect(shared.slice(0, -1).map((link) => link?.peer)).toEqual(names.map(() => ({ where: "same", name: "veth0" })));
    expect(single[3]?.routes).toEqual([
      { to: "10.60.3.0/24", via: "10.59.3.254", metric: 0 },
      { to: "fd60:3::/64", via: "fd59:3::fe", metric: 1024 },
    ]);

    // A read that starts after a listing was made gets a new one.
    await ip("-n", lab, "link", "set", "dev", "m0", "mtu", "1400");
    expect((await readLinkBatched(runner, lab, "m0"))?.mtu).toBe(1400);
    expect(runner.roundTrips).toBe(2);

    // Runners of two machines (here: each with its own Gatherings) never share a batch.
    const [one, other] = [new CountingRunner(), new CountingRunner()];
    expect((await Promise.all([readLinkBatched(one, lab, "m1"), readLinkBatched(other, lab, "m2")])).map((link) => link?.name)).toEqual(["m1", "m2"]);
    expect([one.roundTrips, other.roundTrips]).toEqual([1, 1]);
  });

  it("reports a link of a namespace that is gone as gone", async () => {
    const runner = new CountingRunner();
    expect(await readLinkBatched(runner, world.plannedNetns("never"), "m0")).toBeUndefined();
  });
});
