// The SDK is the user's: the package takes @pulumi/pulumi as a peer, by a range (package.json), so a
// project on another version in that range keeps one copy, its own, and the package runs on it. Pinned
// exactly, npm nested a second copy under pulumi-iproute2 (seen: a repo on 3.230.0 got 3.248.0 too): the
// package's resource classes then came from an SDK the user never chose, sharing one runtime store (the
// SDK keeps it on `global`) with the program's, and the user's types met a second set of the SDK's.
// Here: the packed package installed into a project on the oldest version of the range
// (test/projects/oldsdk, copied under .work/), as a user's `npm install` does; the project's own tsc;
// `pulumi up` / `pulumi destroy` of one namespace with the real CLI. A project below the range is
// refused at install, naming the range, instead of being given a second copy.
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { installPackage } from "../support/baseline";
import { CliStack } from "../support/cliStack";
import { packPackage, repoRoot, sdkRange } from "../support/engine";
import { bootPartFiles, ip, listNamespaces } from "../support/netns";

/** The oldest @pulumi/pulumi the package accepts: the floor of its caret range. */
const oldest = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(sdkRange());

/** Copies test/projects/oldsdk to `dir`, with `dependencies` in place of its own (by name). */
function copyProject(dir: string, dependencies: Record<string, string>): void {
  mkdirSync(dir, { recursive: true });
  for (const file of ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json", ".npmrc"]) {
    cpSync(path.join(repoRoot, "test", "projects", "oldsdk", file), path.join(dir, file));
  }
  const manifestPath = path.join(dir, "package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { dependencies: Record<string, string> };
  writeFileSync(manifestPath, JSON.stringify({ ...manifest, dependencies: { ...manifest.dependencies, ...dependencies } }, null, 2));
}

/** Every folder npm installed @pulumi/pulumi into under `dir`, as `npm ls` lists them. */
async function sdkCopies(dir: string): Promise<string[]> {
  const { stdout } = await execa("npm", ["ls", "@pulumi/pulumi", "--all", "--parseable"], { cwd: dir, reject: false });
  return [...new Set(stdout.split("\n").filter((line) => line.endsWith(path.join("node_modules", "@pulumi", "pulumi"))))];
}

describe("a project on the oldest @pulumi/pulumi in the package's range", () => {
  const runId = inject("runId");
  const netnsName = `${runId}-oldsdk`;
  const work = path.join(repoRoot, ".work", `oldsdk-${runId}`);
  const projectDir = path.join(work, "project");
  const version = oldest ? oldest.slice(1).join(".") : "";
  let tarball: string;
  let s: CliStack | undefined;

  beforeAll(async () => {
    expect(oldest, `package.json's peerDependencies name @pulumi/pulumi by a caret range (got "${sdkRange()}")`).not.toBeNull();
    rmSync(work, { recursive: true, force: true });
    // globalSetup's installs of the project folders have just built the package (its `prepare`).
    tarball = path.join(work, await packPackage(work, repoRoot, { built: true }));
    copyProject(projectDir, { "@pulumi/pulumi": version });
    await installPackage(projectDir, tarball);
  }, 600_000);

  afterAll(async () => {
    try {
      await s?.dispose();
    } finally {
      if ((await listNamespaces()).includes(netnsName)) await ip("netns", "del", netnsName);
      rmSync(work, { recursive: true, force: true });
    }
  });

  it("keeps one copy of the SDK, the project's own", async () => {
    const own = path.join(projectDir, "node_modules", "@pulumi", "pulumi");
    expect(await sdkCopies(projectDir)).toEqual([own]);
    expect(existsSync(path.join(projectDir, "node_modules", "pulumi-iproute2", "node_modules", "@pulumi", "pulumi"))).toBe(false);
    expect((JSON.parse(readFileSync(path.join(own, "package.json"), "utf8")) as { version: string }).version).toBe(version);
  });

  // The declarations too (skipLibCheck off): a type of the SDK's that ours name and the oldest lacks
  // fails here. esModuleInterop is on because zod's declarations, which ours import, need it then.
  it("type-checks with the project's tsc, the package's declarations against the SDK's", async () => {
    const tsc = await execa(path.join("node_modules", ".bin", "tsc"), ["--noEmit", "-p", "."], { cwd: projectDir, reject: false });
    expect(tsc.exitCode, tsc.stdout + tsc.stderr).toBe(0);
  });

  it("makes and destroys a namespace with the real CLI, leaving nothing", { timeout: 300_000 }, async () => {
    s = await CliStack.init(projectDir, `${runId}-oldsdk`, inject("engineEnv"), { netnsName });
    expect(await s.changes("up", "--yes")).toEqual({ create: 2 });
    expect(await s.outputs()).toEqual({ path: `/run/netns/${netnsName}` });
    expect(await listNamespaces()).toContain(netnsName);

    expect(await s.changes("destroy", "--yes")).toEqual({ delete: 2 });
    expect(await listNamespaces()).not.toContain(netnsName);
    expect(bootPartFiles().filter((file) => file.includes(netnsName))).toEqual([]);
  });

  it("is refused at install on an SDK below the range, naming it, instead of getting a second copy", async () => {
    const [major, minor] = [Number(oldest?.[1]), Number(oldest?.[2])];
    const belowDir = path.join(work, "below");
    copyProject(belowDir, { "@pulumi/pulumi": `${major}.${minor - 1}.0`, "pulumi-iproute2": `file:${path.relative(belowDir, tarball)}` });
    const install = await execa("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: belowDir, reject: false });
    expect(install.exitCode).not.toBe(0);
    expect(install.stderr).toMatch(/ERESOLVE/);
    expect(install.stderr).toContain(`peer @pulumi/pulumi@"${sdkRange()}" from pulumi-iproute2`);
    expect(existsSync(path.join(belowDir, "node_modules"))).toBe(false);
  });
});
