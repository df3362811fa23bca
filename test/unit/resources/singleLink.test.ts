// A single link kind's lifecycle tables, for a kind made on no other link, against what real iproute2
// printed (test/fixtures/iproute2): adopt takes over only a link of its kernel kind, and refresh takes
// one of another kind for a stranger's.
import { describe, expect, it } from "vitest";
import { Gatherings } from "../../../provider/exec/gathered";
import type { CommandResult, Runner } from "../../../provider/exec/runner";
import type { SingleLinkDesired, SingleLinkState } from "../../../provider/model";
import { planLinkCreate, planLinkDelete, planSingleLinkUpdate } from "../../../provider/plan/link";
import { portPropertyRules, singleLinkPropertyRules, type PropertyRule } from "../../../provider/plan/diff";
import { singleLinkFields, singleLinkRules } from "../../../provider/schema/link";
import type { ArgsSpec } from "../../../provider/schema/validate";
import { isUnverifiedLink, parseSingleLinkState, singleLinkInputsOf, singleLinkStateOf, unverifiedSingleLinkState } from "../../../provider/state/singleLink";
import { Stranger } from "../../../provider/resources/lifecycle";
import { singleLinkLifecycle } from "../../../provider/resources/singleLink";
import { z } from "zod";
import { kernelKindOf, type LinkKind } from "../../../provider/kinds";
import { asRunnerReturns, linkFixtureOf } from "../fixtures";

const fixture = linkFixtureOf("veth-end");
/** A runner that answers every read with the recorded one: the link of the fixture, a veth. */
const recorded: Runner = { host: "test", machine: "test", gatherings: new Gatherings(), run: async () => asRunnerReturns(fixture.results as CommandResult[]) };

const none = { observed: {}, kernelChosen: [] };

/**
 * A single link kind with a registered kind's name (its kernel kind from the registry) and nothing of its
 * own: the recorded link is a veth end, so "VethPair" is its own kind and "Bridge" another.
 */
const kindOf = (kind: LinkKind, propertyRules: Record<string, PropertyRule> = singleLinkPropertyRules) => {
  const spec: ArgsSpec<SingleLinkDesired, LinkKind> = { kind, fields: singleLinkFields, rules: singleLinkRules<SingleLinkDesired>([]) };
  const kernelKind = kernelKindOf(kind);
  return singleLinkLifecycle<SingleLinkDesired, SingleLinkState>({
    spec,
    propertyRules,
    plan: { create: (d) => planLinkCreate(d, { netns: d.netns, args: ["link", "add", "name", d.name, "type", kernelKind] }, [d]), update: (c, d) => planSingleLinkUpdate(c, d, []), delete: planLinkDelete },
    parseState: (props) => parseSingleLinkState(spec, props, z.object({}), []),
    inputsOf: singleLinkInputsOf,
    stateOf: (d, o) => singleLinkStateOf(d, o, none),
    unverified: { stateOf: (d) => unverifiedSingleLinkState(d, none), is: isUnverifiedLink },
  });
};

const d: SingleLinkDesired = {
  name: fixture.name,
  netns: fixture.netns,
  addresses: [],
  routes: [],
  up: true,
  announce: true,
  nodad: false,
  adopt: true,
  persist: false,
  connection: { type: "local", sudo: false, persist: true },
};

describe("a single link kind made on no other link", () => {
  it("refuses to adopt a link of another kind, saying what it is", async () => {
    const found = await kindOf("Bridge").existing(recorded, d);
    await expect(found?.takeOver()).rejects.toMatchObject({
      detail: `link "${fixture.name}" exists but is veth, not bridge`,
      hint: "adopt takes over only a link of the same kind; remove it or choose another name",
    });
  });

  it("adopts one of its own kind as the kernel has it, its announce settings taken as unset", async () => {
    const found = await kindOf("VethPair").existing(recorded, d);
    const state = await found?.takeOver();
    expect(state).toMatchObject({ name: fixture.name, announce: false, ifindex: found?.ifindex });
  });

  it("refuses to adopt a port whose master is not a bridge (a bond's slave), saying what the master is", async () => {
    // The recorded link, now a slave of bond0; then bond0 itself, read as the recorded link renamed.
    const asIs = (edit: (stdout: string) => string) => asRunnerReturns(fixture.results.map((r) => ({ ...r, stdout: edit(r.stdout) })) as CommandResult[]);
    let reads = 0;
    const enslaved: Runner = {
      host: "test",
      machine: "test",
      gatherings: new Gatherings(),
      run: async () =>
        reads++ === 0
          ? asIs((out) => out.replace(`"ifname":"${fixture.name}",`, `"ifname":"${fixture.name}","master":"bond0",`))
          : asIs((out) => out.replace(`"ifname":"${fixture.name}"`, '"ifname":"bond0"').replace('"info_kind":"veth"', '"info_kind":"bond"')),
    };
    const found = await kindOf("VethPair", { ...singleLinkPropertyRules, ...portPropertyRules }).existing(enslaved, d);
    await expect(found?.takeOver()).rejects.toMatchObject({
      detail: `link "${fixture.name}" is enslaved to "bond0" in netns "${fixture.netns}", a link of kind bond, not a bridge`,
      hint: expect.stringContaining("adopt takes over only a bridge's port"),
    });
  });

  it("takes a link of another kind by its name for a stranger's on refresh", async () => {
    const context = { verb: "read", object: "Bridge", host: "test" };
    expect(await kindOf("Bridge").read(recorded, d, { batched: false, context })).toEqual(new Stranger("a link of kind veth"));
    expect(await kindOf("VethPair").read(recorded, d, { batched: false, context })).toMatchObject({ name: fixture.name, kind: "veth" });
  });

  it("replays its create plan at boot, needing only its namespace", () => {
    const part = kindOf("Bridge").boot.part({ ...d, persist: true });
    expect(part.text).toContain(`needs netns ${fixture.netns}\n`);
    expect(part.text).not.toContain("needs link");
  });
});
