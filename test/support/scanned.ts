// For the scan's end-to-end tests: the command run the way a user runs it (`npx pulumi-iproute2 scan`
// in a project that depends on the package), a copy of the test project holding the program it wrote,
// and what a user compares before and after adopting: each namespace's links and routes as `ip -j`
// dumps them.
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { repoRoot } from "./engine";

/** The test project whose node_modules has the package installed (globalSetup installs it). */
export const scannedTemplate = path.join(repoRoot, "test/projects/scanned");

export interface ScanRun {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** `npx pulumi-iproute2 ARGS` in the test project, as a user runs it; never throws. */
export async function scanCli(args: string[]): Promise<ScanRun> {
  const result = await execa("npx", ["--no", "pulumi-iproute2", ...args], { cwd: scannedTemplate, reject: false, timeout: 120_000, stripFinalNewline: false });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A copy of the test project with `program` as its index.ts (node_modules linked); `remove` when done. */
export function projectWith(program: string): { dir: string; remove: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "pi2-scanned-"));
  for (const file of ["Pulumi.yaml", "package.json", "tsconfig.json"]) copyFileSync(path.join(scannedTemplate, file), path.join(dir, file));
  symlinkSync(path.join(scannedTemplate, "node_modules"), path.join(dir, "node_modules"));
  writeFileSync(path.join(dir, "index.ts"), program);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `ip ARGS` (locally, or inside a simulated host) and gives its stdout. */
export type IpExec = (...args: string[]) => Promise<string>;

interface DumpedLink {
  ifname: string;
  ifindex: number;
  address?: string;
  mtu: number;
  txqlen?: number;
  flags: string[];
  link?: string | null;
  link_index?: number;
  linkinfo?: { info_kind?: string; info_data?: { mode?: string; nopromisc?: boolean; macaddr_data?: string[] } };
  addr_info?: { family: string; local: string; prefixlen: number; scope: string }[];
}

interface DumpedRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  protocol?: string;
  metric?: number;
}

const json = <T>(text: string): T => (text.trim() === "" ? ([] as T) : (JSON.parse(text) as T));

/**
 * What must be the same before and after adopting, per namespace: each link's ifindex, MAC, MTU, queue
 * length, up, kind, mode, source MACs and addresses, and each route with its protocol.
 */
export async function layoutSnapshot(exec: IpExec, namespaces: string[]) {
  const snapshot: Record<string, { links: string[]; routes: string[] }> = {};
  for (const netns of namespaces) {
    const links = json<DumpedLink[]>(await exec("-j", "-d", "-n", netns, "addr", "show"));
    const v4 = json<DumpedRoute[]>(await exec("-j", "-n", netns, "route", "show"));
    const v6 = json<DumpedRoute[]>(await exec("-j", "-6", "-n", netns, "route", "show"));
    snapshot[netns] = {
      links: links
        .map((l) =>
          [
            l.ifname,
            `ifindex ${l.ifindex}`,
            l.address,
            `mtu ${l.mtu}`,
            `txqlen ${l.txqlen}`,
            l.flags.includes("UP") ? "up" : "down",
            l.linkinfo?.info_kind ?? "device",
            l.linkinfo?.info_data?.mode ?? "",
            l.linkinfo?.info_data?.nopromisc ? "nopromisc" : "",
            (l.linkinfo?.info_data?.macaddr_data ?? []).join(","),
            `link ${l.link ?? l.link_index ?? ""}`,
            ...(l.addr_info ?? []).filter((a) => a.scope !== "link").map((a) => `${a.local}/${a.prefixlen}`),
          ].join(" "),
        )
        .sort(),
      routes: [...v4, ...v6].map((r) => `${r.dst} via ${r.gateway ?? "-"} dev ${r.dev} proto ${r.protocol ?? "boot"} metric ${r.metric ?? 0}`).sort(),
    };
  }
  return snapshot;
}
