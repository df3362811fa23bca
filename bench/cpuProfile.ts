// Reading a V8 CPU profile (.cpuprofile, as the inspector's Profiler.stop gives it): where the sampled
// time went, by function, by file and by kind of code (ours, the Pulumi SDK, gRPC, execa, node).

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Time in ms: `self` in the frame itself, `total` with what it called (each sample counted once). */
export interface Share {
  name: string;
  kind: string;
  self: number;
  total: number;
}

export interface ProfileSummary {
  /** The profile's span (ms). */
  totalMs: number;
  idleMs: number;
  gcMs: number;
  /** Samples in no JavaScript frame (native code the profiler cannot attribute, e.g. the event loop's work). */
  programMs: number;
  /** Busy time loading modules (under Module._load): the process's start, mostly. */
  loadingMs: number;
  /** Busy time by activity: each sample goes to the first of `activities` its stack matches. */
  byActivity: Record<Activity, number>;
  byFunction: Share[];
  byFile: Share[];
  byKind: Share[];
}

/** What kind of code a script URL is: the package it comes from, ours, or node's own. */
export function kindOf(url: string): string {
  if (url === "") return "V8 builtins / native";
  if (/pulumi-iproute2[\\/]dist[\\/]provider/.test(url)) return "ours (pulumi-iproute2/dist/provider)";
  if (/^node:(internal[\\/])?child_process/.test(url)) return "node child_process";
  if (url.startsWith("node:")) return "node internals";
  const pkg = /node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+)/.exec(url.replace(/^file:\/\//, ""))?.[1];
  return pkg ?? "other";
}

function shortFile(url: string): string {
  if (url === "") return "(native)";
  const inPackage = /.*node_modules[\\/](.*)$/.exec(url)?.[1];
  if (inPackage) return inPackage;
  return url.replace(/^file:\/\//, "");
}

/**
 * What the provider was doing, judged by the whole stack of a sample (its leaf alone says "spawn" or
 * "Socket", not for whom): the first that matches wins, so a child process started by our runner
 * counts as starting processes, not as our code.
 */
export const activities = {
  "loading modules": (stack: Frame[]) => stack.some((f) => f.functionName === "Module._load"),
  "starting and reading child processes (execa, child_process)": (stack: Frame[]) => stack.some((f) => /[\\/]execa[\\/]|^node:(internal[\\/])?child_process|signal-exit/.test(f.url)),
  "gRPC and protobuf (@grpc/grpc-js, google-protobuf, http2)": (stack: Frame[]) => stack.some((f) => /@grpc|google-protobuf|^node:internal[\\/]http2/.test(f.url)),
  "zod parsing": (stack: Frame[]) => stack.some((f) => /[\\/]zod[\\/]/.test(f.url)),
  "our code (other than the above)": (stack: Frame[]) => stack.some((f) => kindOf(f.url).startsWith("ours")),
  "@pulumi/pulumi (other than the above)": (stack: Frame[]) => stack.some((f) => /@pulumi[\\/]pulumi/.test(f.url)),
  "garbage collector": (stack: Frame[]) => stack[0]?.functionName === "(garbage collector)",
  "other (event loop, streams, timers)": () => true,
};
export type Activity = keyof typeof activities;
type Frame = CpuProfile["nodes"][number]["callFrame"];

export function summarize(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  // A sample lasts until the next one is taken (as DevTools counts it).
  const durations = profile.samples.map((_, i) => (profile.timeDeltas[i + 1] ?? 0) / 1000);

  const tables = { fn: new Map<string, Share>(), file: new Map<string, Share>(), kind: new Map<string, Share>() };
  const entry = (table: Map<string, Share>, name: string, kind: string) => {
    let share = table.get(name);
    if (!share) table.set(name, (share = { name, kind, self: 0, total: 0 }));
    return share;
  };
  let idleMs = 0;
  let gcMs = 0;
  let programMs = 0;
  let loadingMs = 0;
  const byActivity = Object.fromEntries(Object.keys(activities).map((a) => [a, 0])) as Record<Activity, number>;
  profile.samples.forEach((id, i) => {
    const ms = durations[i] ?? 0;
    const leaf = byId.get(id);
    if (!leaf) return;
    const special = leaf.callFrame.functionName;
    if (special === "(idle)") return void (idleMs += ms);
    if (special === "(garbage collector)") gcMs += ms;
    if (special === "(program)") programMs += ms;
    const seen = { fn: new Set<string>(), file: new Set<string>(), kind: new Set<string>() };
    // The profiling hook's own wrappers (bench/providerHook.ts) are left out: their callees count.
    const stack: Frame[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)?.callFrame;
      if (frame && frame.functionName !== "(root)" && !frame.url.endsWith("providerHook.js")) stack.push(frame);
    }
    if (stack.some((frame) => frame.functionName === "Module._load")) loadingMs += ms;
    const activity = (Object.keys(activities) as Activity[]).find((a) => activities[a](stack));
    if (activity) byActivity[activity] += ms;
    for (const [depth, frame] of stack.entries()) {
      const first = depth === 0;
      const kind = frame.functionName.startsWith("(") ? frame.functionName : kindOf(frame.url);
      const file = shortFile(frame.url);
      const keys = {
        fn: `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`,
        file: frame.functionName.startsWith("(") ? frame.functionName : file,
        kind,
      };
      for (const table of ["fn", "file", "kind"] as const) {
        const share = entry(tables[table], keys[table], kind);
        if (first) share.self += ms;
        if (!seen[table].has(keys[table])) {
          seen[table].add(keys[table]);
          share.total += ms;
        }
      }
    }
  });
  const sorted = (table: Map<string, Share>) => [...table.values()].sort((a, b) => b.self - a.self);
  return {
    totalMs: (profile.endTime - profile.startTime) / 1000,
    idleMs,
    gcMs,
    programMs,
    loadingMs,
    byActivity,
    byFunction: sorted(tables.fn),
    byFile: sorted(tables.file),
    byKind: sorted(tables.kind),
  };
}
