// NetNamespace's handlers against the real kernel.
import { afterEach, describe, expect, it } from "vitest";
import { netNamespaceHandlers as handlers } from "../../provider/resources/netNamespace";
import { asTheEngine } from "../support/engineCalls";
import { ip, ipJson, listNamespaces, pings, World } from "../support/netns";

type Props = Record<string, unknown>;

const engine = asTheEngine(handlers);

describe("NetNamespace on the real kernel", () => {
  const world = new World();
  afterEach(async () => world.cleanup());

  it("refuses a name that exists unless adopt is set, then takes the namespace over as it is", async () => {
    const name = await world.netns("made-by-hand");
    // What a script left there: a link, an address; lo still down, as `ip netns add` leaves it.
    await ip("-n", name, "link", "add", "v0", "type", "veth", "peer", "name", "v1");
    await ip("-n", name, "addr", "add", "10.52.0.1/24", "dev", "v0");
    const before = await ipJson<{ ifname: string; ifindex: number }[]>("-n", name, "link", "show");

    await expect(engine.create({ name })).rejects.toThrow(/already exists: choose another name, set adopt: true to take it over/);
    const { id, outs } = await engine.create({ name, adopt: true });
    expect(outs).toMatchObject({ name, adopt: true, loopbackUp: true, path: `/run/netns/${name}` });
    // Taken over, not made anew: the same links, now with lo up as asked.
    const after = await ipJson<{ ifname: string; ifindex: number; flags: string[] }[]>("-n", name, "link", "show");
    expect(after.map(({ ifname, ifindex }) => ({ ifname, ifindex }))).toEqual(before.map(({ ifname, ifindex }) => ({ ifname, ifindex })));
    expect(after.find((l) => l.ifname === "lo")?.flags).toContain("UP");
    // Nothing there: adopt makes it.
    const fresh = world.plannedNetns("adopt-fresh");
    await engine.create({ name: fresh, adopt: true });
    expect(await listNamespaces()).toContain(fresh);

    await handlers.delete(id, outs);
    expect(await listNamespaces()).not.toContain(name);
  });

  it("creates a namespace whose own address answers pings, reads, updates and deletes it", async () => {
    const name = world.plannedNetns("ns");
    const { id, outs, inputs } = await engine.create({ name });
    expect(id).toBe(name);
    expect(outs).toMatchObject({ name, path: `/run/netns/${name}`, loopbackUp: true });
    expect(await listNamespaces()).toContain(name);

    // lo is up: an address of the namespace answers from inside it.
    await ip("-n", name, "link", "add", "v0", "type", "veth", "peer", "name", "v1");
    await ip("-n", name, "addr", "add", "10.51.0.1/24", "dev", "v0");
    await ip("-n", name, "link", "set", "v0", "up");
    expect(await pings(name, "10.51.0.1")).toBe(true);

    const read = await handlers.read(id, outs);
    expect(read).toMatchObject({ id, props: outs, inputs });

    const down = (await handlers.check({}, { name, loopbackUp: false })).inputs as Props;
    expect((await handlers.diff(id, outs, down)).changes).toBe(true);
    const updated = await handlers.update(id, outs, down);
    expect(updated.outs.loopbackUp).toBe(false);
    const [lo] = await ipJson<{ flags: string[] }[]>("-n", name, "link", "show", "dev", "lo");
    expect(lo?.flags).not.toContain("UP");

    await handlers.delete(id, updated.outs);
    expect(await listNamespaces()).not.toContain(name);
    await handlers.delete(id, updated.outs); // already gone: success
    expect((await handlers.read(id, updated.outs)).id).toBe("");
  });

  it("refuses a name that is taken, saying so, and leaves the existing namespace alone", async () => {
    const name = await world.netns("taken");
    await expect(engine.create({ name })).rejects.toThrow(/create NetNamespace ".*taken" on localhost: .*File exists.*already exists/);
    expect(await listNamespaces()).toContain(name);
  });

  it("reports out-of-band changes on refresh: lo down, namespace gone", async () => {
    const name = world.plannedNetns("drift");
    const { id, outs } = await engine.create({ name });
    await ip("-n", name, "link", "set", "lo", "down");
    expect((await handlers.read(id, outs)).props).toMatchObject({ loopbackUp: false });
    await ip("netns", "del", name);
    expect((await handlers.read(id, outs)).id).toBe("");
  });
});
