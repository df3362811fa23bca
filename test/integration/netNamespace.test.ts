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
