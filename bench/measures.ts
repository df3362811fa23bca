// What the benchmarks measure besides time: the dynamic-provider plugin's peak memory, the size of a
// stack's state in the file backend, and the TCP connections each simulated host's sshd holds.
import { existsSync, readFileSync, statSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import path from "node:path";
import { execa } from "execa";
import { proc, processTree } from "../test/support/processTree";

const pollMs = 200;

/**
 * The peak RSS (bytes) of the dynamic-provider plugins this process's children start while `work` runs.
 * The engine starts `pulumi-resource-pulumi-nodejs` (a sh script that execs `node
 * .../@pulumi/pulumi/cmd/dynamic-provider`, keeping its pid); each poll walks this process's tree in /proc
 * (about 2 ms) for such processes and reads their VmHWM, the kernel's own high-water mark of the
 * process's RSS. It only grows, so the last read before the plugin exits is its peak, give or take what
 * it gained in its last poll interval. Only our descendants are looked at: other benchmarks or tests on
 * the machine run plugins of their own. The plugin's children (a shell, ssh) are not counted.
 */
export async function providerPeakRss<T>(work: () => Promise<T>): Promise<{ result: T; peakRss: number }> {
  const self = proc(process.pid);
  if (!self) throw new Error("this process is not in /proc");
  const peaks = new Map<string, number>();
  const poll = () => {
    for (const p of processTree([self])) {
      const cmdline = readOrGone(`/proc/${p.pid}/cmdline`);
      if (!cmdline?.includes("dynamic-provider")) continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readOrGone(`/proc/${p.pid}/status`) ?? "")?.[1];
      const key = `${p.pid}@${p.start}`;
      if (hwm !== undefined) peaks.set(key, Math.max(peaks.get(key) ?? 0, Number(hwm) * 1024));
    }
  };
  const timer = setInterval(poll, pollMs);
  try {
    const result = await work();
    return { result, peakRss: Math.max(0, ...peaks.values()) };
  } finally {
    clearInterval(timer);
  }
}

/** A /proc file's text, or undefined when its process is gone (it may exit between the walk and the read). */
function readOrGone(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ESRCH") return undefined;
    throw error;
  }
}

/** Average compact-JSON bytes of one resource object of a type, split by where they are. */
export interface ResourceBytes {
  count: number;
  total: number;
  inputs: number;
  outputs: number;
  /** Everything else: urn, type, dependencies, created/modified, sourcePosition, stackTrace. */
  rest: number;
  /** Of inputs + outputs: the provider text (`__provider`), stored in both. */
  provider: number;
}

export interface StateSize {
  /** The checkpoint file as the backend wrote it (indented JSON). */
  fileBytes: number;
  resources: number;
  byType: Record<string, ResourceBytes>;
}

/**
 * The size of a stack's state as the file backend keeps it: `.pulumi/stacks/<project>/<stack>.json`
 * (or `.json.gz` with PULUMI_SELF_MANAGED_STATE_GZIP) under PULUMI_BACKEND_URL's folder.
 */
export function stateSize(backendUrl: string, project: string, stack: string): StateSize {
  if (!backendUrl.startsWith("file://")) throw new Error(`state size needs a file backend, not ${backendUrl}`);
  const base = path.join(backendUrl.slice("file://".length), ".pulumi", "stacks", project, `${stack}.json`);
  const file = existsSync(base) ? base : `${base}.gz`;
  const raw = readFileSync(file);
  const text = file.endsWith(".gz") ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
  const resources = ((JSON.parse(text) as { checkpoint?: { latest?: { resources?: Record<string, unknown>[] } } }).checkpoint?.latest?.resources ?? []);
  const bytes = (value: unknown) => (value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value)));
  const byType: Record<string, ResourceBytes> = {};
  for (const resource of resources) {
    const type = String(resource.type).replace(/^pulumi-nodejs:dynamic\/iproute2:/, "");
    const sum = (byType[type] ??= { count: 0, total: 0, inputs: 0, outputs: 0, rest: 0, provider: 0 });
    const { inputs, outputs, ...rest } = resource as { inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
    sum.count += 1;
    sum.total += bytes(resource);
    sum.inputs += bytes(inputs);
    sum.outputs += bytes(outputs);
    sum.rest += bytes(rest);
    sum.provider += bytes(inputs?.__provider) + bytes(outputs?.__provider);
  }
  for (const sum of Object.values(byType)) {
    for (const key of ["total", "inputs", "outputs", "rest", "provider"] as const) sum[key] = sum[key] / sum.count;
  }
  return { fileBytes: statSync(file).size, resources: resources.length, byType };
}

/**
 * Samples, every 200 ms until `stop`, the established TCP connections to port 22 in each simulated
 * host's network namespace, and returns the most seen at once per host. It reads /proc/PID/net/tcp of a
 * process living in the namespace (the host's holder, `sleep infinity`): no command is started per
 * sample, so sampling 50 hosts costs the machine next to nothing.
 */
export async function sshdConnections(namespaces: string[]): Promise<{ stop(): number[] }> {
  const holders = await Promise.all(
    namespaces.map(async (netns) => {
      const pids = (await execa("ip", ["netns", "pids", netns])).stdout.split("\n").filter(Boolean);
      const holder = pids.find((pid) => readOrGone(`/proc/${pid}/comm`)?.trim() === "sleep");
      if (!holder) throw new Error(`no holder process in ${netns}`);
      return holder;
    }),
  );
  const most = holders.map(() => 0);
  const sample = () =>
    holders.forEach((pid, i) => {
      let count = 0;
      for (const table of ["tcp", "tcp6"]) {
        // "sl local_address rem_address st ...": local port 22 is ":0016", state 01 is ESTABLISHED.
        for (const line of (readOrGone(`/proc/${pid}/net/${table}`) ?? "").split("\n").slice(1)) {
          const fields = line.trim().split(/\s+/);
          if (fields[1]?.endsWith(":0016") && fields[3] === "01") count += 1;
        }
      }
      most[i] = Math.max(most[i] ?? 0, count);
    });
  const timer = setInterval(sample, pollMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return most;
    },
  };
}
