// Moving a child into and out of passthru, with the plain CLI (test/projects/many, one child, so
// passthru can own the parent): the preview says replace, and the replace is carried out.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type CliStack, previewSummary } from "../support/cliStack";
import { ipJson } from "../support/netns";
import { testStack } from "../support/testStack";

describe("a move into and out of passthru", () => {
  const prefix = `${inject("runId")}-pt-`;
  let s: CliStack;
  const modeOnHost = async () => {
    const [link] = await ipJson<{ ifindex: number; linkinfo: { info_data: { mode: string } } }[]>("-d", "-n", `${prefix}lab`, "link", "show", "dev", "mv0");
    return link && { ifindex: link.ifindex, mode: link.linkinfo.info_data.mode };
  };
  beforeAll(async () => {
    s = await testStack("test/projects/many", "passthru", { count: "1", namePrefix: prefix });
    await s.ok("up", "--yes");
  });
  afterAll(async () => s?.dispose());

  it.each([
    ["bridge", "passthru"],
    ["passthru", "bridge"],
  ])("previews %s -> %s as a replace of the child, and replaces it", async (from, to) => {
    const before = await modeOnHost();
    expect(before?.mode).toBe(from);
    await s.ok("config", "set", "mode", to);
    const preview = await s.ok("preview", "--diff");
    expect(previewSummary(preview.stdout)).toEqual({ replace: 1, same: 3 });
    expect(preview.stdout).toMatch(new RegExp(`\\+-\\s*pulumi-nodejs:dynamic/iproute2:MacvlanLink: \\(replace\\)[\\s\\S]*~ mode\\s*: "${from}" => "${to}"`));

    expect(await s.changes("up", "--yes")).toEqual({ replace: 1, same: 3 });
    const after = await modeOnHost();
    expect(after?.mode).toBe(to);
    expect(after?.ifindex).not.toBe(before?.ifindex); // a new link, not the old one changed
  });
});
