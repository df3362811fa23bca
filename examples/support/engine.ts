// Running stacks from code with the Automation API, the way the demo, the tests and the benchmarks do:
// with the Pulumi CLI this repository installs, offline defaults, and the package installed into the
// stack's node_modules from a packed tarball, exactly as a user's project has it.
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import path from "node:path";
import { execa } from "execa";
import type * as automation from "@pulumi/pulumi/automation";

/** This repository's root, from the source (examples/support) or the build (dist/examples/support). */
export const repoRoot = (() => {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "pulumi-iproute2") {
      return dir;
    }
  }
  throw new Error(`no pulumi-iproute2 package.json above ${__dirname}`);
})();

/** Runs scripts/install-pulumi.sh (a no-op after the first run) and returns the folder with the CLI. */
export async function ensureEngine(): Promise<string> {
  const { stdout } = await execa("bash", [path.join(repoRoot, "scripts", "install-pulumi.sh")], {
    stderr: "inherit",
    cwd: repoRoot,
  });
  const binDir = stdout.trim().split("\n").at(-1) ?? "";
  if (!existsSync(path.join(binDir, "pulumi"))) {
    throw new Error(`install-pulumi.sh did not name a folder with pulumi (got "${binDir}")`);
  }
  return binDir;
}

function loggedIn(): boolean {
  const credentials = path.join(process.env.PULUMI_HOME ?? path.join(homedir(), ".pulumi"), "credentials.json");
  if (!existsSync(credentials)) return false;
  try {
    return Boolean((JSON.parse(readFileSync(credentials, "utf8")) as { current?: string }).current);
  } catch {
    return false;
  }
}

/**
 * The environment for the Pulumi CLI: our CLI first on PATH, update checks and plugin downloads off,
 * and, only where the user has configured nothing of their own, a file backend in `stateDir` and a
 * local passphrase for secrets.
 */
export function engineEnvironment(binDir: string, stateDir = path.join(repoRoot, ".pulumi-state")): Record<string, string> {
  const env: Record<string, string> = {
    PATH: `${binDir}:${process.env.PATH ?? ""}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
  };
  if (!process.env.PULUMI_BACKEND_URL && !loggedIn()) {
    mkdirSync(stateDir, { recursive: true });
    env.PULUMI_BACKEND_URL = `file://${stateDir}`;
  }
  if (!process.env.PULUMI_CONFIG_PASSPHRASE && !process.env.PULUMI_CONFIG_PASSPHRASE_FILE) {
    env.PULUMI_CONFIG_PASSPHRASE = "pulumi-iproute2-local-state";
  }
  return env;
}

/** A folder holding a user-style project: node_modules with the packed package, not a link to it. */
export interface App {
  dir: string;
  /** `require` as seen from the app: the package and @pulumi/pulumi as the app's program gets them. */
  require: NodeRequire;
}

/**
 * Packs this repository (already built) and installs the tarball into `dir`. A linked package would be
 * serialized by value into the state; an installed one is what users have.
 */
export async function prepareApp(dir: string): Promise<App> {
  mkdirSync(dir, { recursive: true });
  const { stdout } = await execa("npm", ["pack", "--silent", "--pack-destination", dir], { cwd: repoRoot });
  const tarball = stdout.trim().split("\n").at(-1) ?? "";
  writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "pulumi-iproute2-app", private: true, dependencies: { "pulumi-iproute2": `file:./${tarball}` } }, null, 2),
  );
  // The tarball keeps its version between builds; without this npm would call the old copy up to date.
  rmSync(path.join(dir, "node_modules", "pulumi-iproute2"), { recursive: true, force: true });
  rmSync(path.join(dir, "package-lock.json"), { force: true });
  await execa("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"], {
    cwd: dir,
    stdout: "inherit",
    stderr: "inherit",
  });
  return appAt(dir);
}

export function appAt(dir: string): App {
  return { dir, require: createRequire(path.join(dir, "package.json")) };
}

/**
 * Loads a compiled program of this repository as the app's own code: copied into the app folder, so
 * its `require("pulumi-iproute2")` finds the installed package, not this repository.
 */
export function loadAppModule<T>(app: App, compiledFile: string): T {
  const target = path.join(app.dir, `program-${path.basename(path.dirname(compiledFile))}-${path.basename(compiledFile)}`);
  copyFileSync(compiledFile, target);
  return app.require(target) as T;
}

export interface StackOptions {
  projectName: string;
  stackName: string;
  program: automation.PulumiFn;
  /** What the CLI runs with (engineEnvironment). */
  envVars: Record<string, string>;
  /** The stack's folder, inside the app folder (node_modules is found from there); the app folder by default. */
  workDir?: string;
  /** Only select a stack that exists (e.g. to destroy it); by default it is made if need be. */
  existing?: boolean;
}

/**
 * A stack of an inline program run from an app folder, with the CLI in `binDir`. The stack's folder is
 * the program's folder (`main`): the engine starts the dynamic-provider plugin there, where node_modules
 * has the package. Left unset, the Automation API would take the driving process's working directory.
 */
export async function openStack(app: App, binDir: string, options: StackOptions): Promise<automation.Stack> {
  const auto = app.require("@pulumi/pulumi/automation") as typeof automation;
  const { projectName, stackName, program, envVars, workDir = app.dir } = options;
  mkdirSync(workDir, { recursive: true });
  const args = { projectName, stackName, program };
  const workspace = {
    workDir,
    envVars,
    projectSettings: { name: projectName, runtime: "nodejs" as const, main: workDir },
    pulumiCommand: await auto.PulumiCommand.get({ root: path.dirname(binDir) }),
  };
  return options.existing ? auto.LocalWorkspace.selectStack(args, workspace) : auto.LocalWorkspace.createOrSelectStack(args, workspace);
}

/** The project name in this repository's Pulumi.yaml (the demo stack's project). */
export function demoProjectName(): string {
  const name = /^name:\s*(\S+)\s*$/m.exec(readFileSync(path.join(repoRoot, "Pulumi.yaml"), "utf8"))?.[1];
  if (!name) throw new Error("Pulumi.yaml has no name");
  return name;
}
