// The Automation API example (examples/automation) as a platform team runs it: `node bin/index.js up`
// brings two labs up side by side (one stack of examples/lab each), `show` prints their outputs, and
// `down` removes them, stacks and all. Checked from outside: pings inside each lab, namespaces.
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { repoRoot } from "../support/engine";
import { listNamespaces, pings } from "../support/netns";

const dir = path.join(repoRoot, "examples", "automation");

/** Runs the example; each line it prints is a JSON object. */
async function labs(...args: string[]) {
  const result = await execa("node", ["bin/index.js", ...args], { cwd: dir, env: inject("engineEnv"), reject: false });
  if (result.exitCode !== 0) throw new Error(`node bin/index.js ${args.join(" ")} exited ${result.exitCode}: ${result.stderr}`);
  return result.stdout.split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("labs on demand with the Automation API", () => {
  // Lab names prefix their namespaces: starting with the run's id, they are swept if a test fails.
  const names = [`${inject("runId")}a`, `${inject("runId")}b`];

  beforeAll(async () => {
    await execa("npm", ["run", "build", "--silent"], { cwd: dir });
  });
  afterAll(async () => {
    await execa("node", ["bin/index.js", "down", ...names], { cwd: dir, env: inject("engineEnv"), reject: false });
  });

  it("brings two labs up side by side, each reachable inside", async () => {
    const up = await labs("up", ...names);
    expect(up.map((line) => line.lab).sort()).toEqual([...names].sort());
    for (const line of up) {
      expect(line.result).toBe("succeeded");
      expect(line.changes).toEqual({ create: 7 });
      expect(line.outputs).toMatchObject({ namespaces: { ns1: `${String(line.lab)}-ns1`, ns2: `${String(line.lab)}-ns2` } });
    }
    for (const name of names) expect(await pings(`${name}-ns1`, "10.77.0.2")).toBe(true);
  });

  it("shows their outputs", async () => {
    const shown = await labs("show", ...names);
    expect(shown.map((line) => line.lab).sort()).toEqual([...names].sort());
    for (const line of shown) {
      expect(line.lastUpdate).toBe("succeeded");
      expect(line.outputs).toMatchObject({ vethPeer: "10.77.0.254", children: { mac1: { address: "10.77.0.1" } } });
    }
  });

  it("refuses a name that would not make a namespace name, and a lab that does not exist", async () => {
    await expect(labs("up", "Bad/Name")).rejects.toThrow(/lab names are/);
    await expect(labs("down", `${inject("runId")}z`)).rejects.toThrow(/no stack named/);
  });

  it("tears them down, stacks and all", async () => {
    const down = await labs("down", ...names);
    for (const line of down) expect(line.changes).toEqual({ delete: 7 });
    expect((await listNamespaces()).filter((ns) => names.some((name) => ns.startsWith(`${name}-`)))).toEqual([]);
    expect(await labs("show", ...names)).toEqual([]);
  });
});
