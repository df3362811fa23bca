// The Pulumi CLI for the tests and the benchmarks: installed by this repository's scripts, run in
// project folders that have the package installed as a copy, exactly as a user's project has it; and,
// for the benchmarks' Automation API figures, stacks of inline programs run from an app folder.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { execa } from "execa";
import type * as automation from "@pulumi/pulumi/automation";
import { processExists } from "../../provider/exec/processes";

/** This repository's root, from the source (test/support) or the build (dist/test/support). */
export const repoRoot = (() => {
  for (let dir = __dirname; dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, "package.json");
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, "utf8")) as { name?: string }).name === "pulumi-iproute2") {
      return dir;
    }
  }
  throw new Error(`no pulumi-iproute2 package.json above ${__dirname}`);
})();

/** The Pulumi CLI this repository installs and the environment it runs with (scripts/engine-env.sh). */
export interface Engine {
  /** The folder with `pulumi` and its plugins, first on `env.PATH`. */
  binDir: string;
  env: Record<string, string>;
}

/**
 * Installs the CLI and its plugins (a no-op after the first run) and returns how to run them, with
 * this repository's own file backend whatever the user has configured: test and benchmark stacks
 * never land in a user's backend.
 */
export async function ensureEngine(): Promise<Engine> {
  const { stdout } = await execa("bash", [path.join(repoRoot, "scripts", "engine-env.sh"), "--isolated"], { stderr: "inherit", cwd: repoRoot });
  const env: Record<string, string> = {};
  for (const line of stdout.split("\n").filter(Boolean)) {
    const at = line.indexOf("=");
    env[line.slice(0, at)] = line.slice(at + 1);
  }
  const binDir = env.PATH?.split(":")[0] ?? "";
  if (!existsSync(path.join(binDir, "pulumi"))) throw new Error(`engine-env.sh put no folder with pulumi first on PATH (got "${binDir}")`);
  return { binDir, env };
}

/**
 * `npm install` in a project folder of this repository (an example, a test project, a benchmark's
 * app), as its README says. The package comes in as a copy: built by its `prepare` and copied (the
 * examples' .npmrc sets install-links), or from a packed tarball. npm calls an installed copy of the
 * same version up to date, so the old one is removed first. With `packageBuilt`, npm runs no scripts:
 * the package is copied as the install before this one built it (none of the projects' other
 * dependencies has a script that matters: protobufjs's postinstall only prints version warnings).
 */
export async function installProject(dir: string, { packageBuilt = false } = {}): Promise<void> {
  rmSync(path.join(dir, "node_modules", "pulumi-iproute2"), { recursive: true, force: true });
  const scripts = packageBuilt ? ["--ignore-scripts"] : [];
  await execa("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error", ...scripts], {
    cwd: dir,
    stdout: "inherit",
    stderr: "inherit",
  });
}

/** A folder holding a user-style project: node_modules with the packed package, not a link to it. */
export interface App {
  dir: string;
  /** `require` as seen from the app: the package and @pulumi/pulumi as the app's program gets them. */
  require: NodeRequire;
}

/**
 * `npm pack` of this repository (built by its `prepare`), or of another checkout of the package
 * (`source`, built already, maybe by a build of its day: its scripts are not run), into `destination`.
 * `built: true` skips this repository's build too, for a caller that knows it is fresh (an end-to-end
 * test: globalSetup's installs of the project folders ran `prepare`). Returns the tarball's file name there.
 */
export async function packPackage(destination: string, source = repoRoot, options: { built?: boolean } = {}): Promise<string> {
  mkdirSync(destination, { recursive: true });
  const ignoreScripts = source === repoRoot && !options.built ? [] : ["--ignore-scripts"];
  const { stdout } = await execa("npm", ["pack", "--silent", ...ignoreScripts, "--pack-destination", destination], { cwd: source });
  const tarball = stdout.trim().split("\n").at(-1) ?? "";
  if (!tarball.endsWith(".tgz") || !existsSync(path.join(destination, tarball))) {
    throw new Error(`npm pack in ${source} named no tarball in ${destination} (it printed "${stdout}")`);
  }
  return tarball;
}

/**
 * Packs this repository, or another checkout of the package (`source`, built), and installs the
 * tarball into `dir`. A linked package would be serialized by value into the state; an installed one
 * is what users have. The app names its own @pulumi/pulumi, as users' projects do (the package takes it
 * as a peer, by a range): the version this repository tests with, which the engine matches.
 */
export async function prepareApp(dir: string, source = repoRoot): Promise<App> {
  const tarball = await packPackage(dir, source);
  const dependencies = { "@pulumi/pulumi": testedSdkVersion(), "pulumi-iproute2": `file:./${tarball}` };
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "pulumi-iproute2-app", private: true, dependencies }, null, 2));
  rmSync(path.join(dir, "package-lock.json"), { force: true });
  await installProject(dir);
  return { dir, require: createRequire(path.join(dir, "package.json")) };
}

/** This repository's package.json: what it declares about @pulumi/pulumi. */
function sdkDeclarations(): { peerDependencies?: Record<string, string>; devDependencies?: Record<string, string> } {
  return JSON.parse(readFileSync(path.join(repoRoot, "package.json"), "utf8")) as ReturnType<typeof sdkDeclarations>;
}

/** The @pulumi/pulumi this repository develops and tests with (its devDependency, exact). */
export function testedSdkVersion(): string {
  const version = sdkDeclarations().devDependencies?.["@pulumi/pulumi"];
  if (!version || !/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`package.json's devDependencies pin no exact @pulumi/pulumi (got "${version}")`);
  return version;
}

/** The range of @pulumi/pulumi the package takes from a user's project (its peerDependency, e.g. "^3.230.0"); "" if none. */
export function sdkRange(): string {
  return sdkDeclarations().peerDependencies?.["@pulumi/pulumi"] ?? "";
}

export interface StackOptions {
  projectName: string;
  stackName: string;
  program: automation.PulumiFn;
  /** What the CLI runs with (Engine.env). */
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

/**
 * Claims the project folders for this process (the end-to-end run or a benchmark): both reinstall
 * their node_modules and make stacks there, so a second run at the same time would pull the package
 * out from under the first. Returns the release; a claim left by a process that is gone is taken over.
 */
export function claimProjects(): () => void {
  const lock = path.join(repoRoot, ".work", "projects.lock");
  mkdirSync(path.dirname(lock), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(lock, "wx", 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw error;
      const holder = Number(readFileSync(lock, "utf8"));
      if (holder > 0 && processExists(holder)) {
        throw new Error(`another end-to-end run or benchmark (pid ${holder}) is using the project folders; wait for it to finish`, { cause: error });
      }
      rmSync(lock, { force: true });
    }
  }
}

