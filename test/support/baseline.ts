// The package as it was at an earlier git ref, for what runs it side by side with this checkout: the
// state-compatibility test (a stack made by the old package, then refreshed by this one) and the
// benchmarks' baseline. Built and packed the way this checkout is, so both are installed alike.
import { copyFileSync, existsSync, lstatSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { installProject, packPackage, prepareApp, repoRoot, type App } from "./engine";

/**
 * The package's files at git `ref`, taken out of git into `dir`/source (nothing of this checkout's work
 * tree comes along) and built there with this checkout's node_modules and tsc. Returns that folder.
 */
async function buildAtRef(ref: string, dir: string): Promise<string> {
  const source = path.join(dir, "source");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(source, { recursive: true });
  await execa("sh", ["-c", 'git -C "$1" archive "$2" | tar -x -C "$3"', "sh", repoRoot, ref, source]);
  symlinkSync(path.join(repoRoot, "node_modules"), path.join(source, "node_modules"));
  const tsconfig = existsSync(path.join(source, "tsconfig.build.json")) ? "tsconfig.build.json" : "tsconfig.json";
  try {
    await execa(path.join(repoRoot, "node_modules", ".bin", "tsc"), ["-p", tsconfig], { cwd: source });
  } finally {
    // The packed package must not point into this checkout.
    rmSync(path.join(source, "node_modules"));
  }
  return source;
}

/**
 * The package as it was at `ref`, packed into `dir` (emptied first). Returns the tarball's path. A
 * commit's files never change: its tarball, built by this compiler, is kept in the per-user cache the
 * engine lives in and taken from there by the next run.
 */
export async function packAtRef(ref: string, dir: string): Promise<string> {
  const commit = (await execa("git", ["-C", repoRoot, "rev-parse", "--verify", `${ref}^{commit}`])).stdout.trim();
  const tsc = (JSON.parse(readFileSync(path.join(repoRoot, "node_modules", "typescript", "package.json"), "utf8")) as { version: string }).version;
  const cached = path.join(baselineCache(), `${commit}-tsc${tsc}.tgz`);
  const tarball = path.join(dir, `pulumi-iproute2-${commit.slice(0, 12)}.tgz`);
  if (!existsSync(cached)) {
    const source = await buildAtRef(ref, dir);
    const built = path.join(dir, await packPackage(dir, source));
    // Another run may build the same one at once: each writes its own file, then renames it in whole.
    const partial = `${cached}.${process.pid}`;
    copyFileSync(built, partial);
    renameSync(partial, cached);
    rmSync(built);
  } else {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  }
  copyFileSync(cached, tarball);
  return tarball;
}

/**
 * The cache's folder of baselines: what is installed from it runs as this user (root, in the tests), so
 * it must be this user's and writable by no one else. install-pulumi.sh checked the cache folder and
 * the folders above it when the engine was set up; this checks both again, and the baselines' folder.
 */
function baselineCache(): string {
  const root = process.env.PULUMI_IPROUTE2_CACHE ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "pulumi-iproute2");
  const dir = path.join(root, "baselines");
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  for (const folder of [root, dir]) {
    const info = lstatSync(folder);
    if (!info.isDirectory() || info.uid !== process.getuid?.() || (info.mode & 0o022) !== 0) {
      throw new Error(`refusing the cache folder ${folder}: a symlink, another user's, or writable by others (set PULUMI_IPROUTE2_CACHE to a private folder)`);
    }
  }
  return dir;
}

/**
 * An app folder `dir` (emptied first) with the package as it was at `ref` installed from its tarball,
 * like `prepareApp`'s: a baseline to run side by side with this checkout.
 */
export async function prepareBaselineApp(ref: string, dir: string): Promise<App> {
  return prepareApp(dir, await buildAtRef(ref, dir));
}

/** Where `pulumi-iproute2` in the project's node_modules came from (npm's own record of it). */
async function installedFrom(projectDir: string): Promise<string | undefined> {
  const { stdout } = await execa("npm", ["ls", "pulumi-iproute2", "--json"], { cwd: projectDir });
  return (JSON.parse(stdout) as { dependencies?: Record<string, { resolved?: string }> }).dependencies?.["pulumi-iproute2"]?.resolved;
}

/** Installs the package from `tarball` into the project as a user's `npm install` would: a copy. */
export async function installPackage(projectDir: string, tarball: string): Promise<void> {
  const manifestPath = path.join(projectDir, "package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { dependencies: Record<string, string> };
  manifest.dependencies["pulumi-iproute2"] = `file:${path.relative(projectDir, tarball)}`;
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  await installProject(projectDir);
  const from = await installedFrom(projectDir);
  if (from !== `file:${tarball}`) throw new Error(`npm installed pulumi-iproute2 from ${String(from)}, not ${tarball}`);
  if (lstatSync(path.join(projectDir, "node_modules", "pulumi-iproute2")).isSymbolicLink()) throw new Error("npm linked pulumi-iproute2 instead of copying it");
}
