// The scan as a Pulumi program (`index.ts`): one resource per namespace, bridge, veth pair, macvlan or
// macvtap child and vxlan, each with `adopt: true` and every managed argument as the host has it,
// referring to the resources it depends on (`netns: lab.name`, `parent: uplink.name`, `master:
// br0.name`) so the engine orders them.
// What it does not manage is named literally, or listed in a comment with why. Pure text.
import { classOfLink } from "../kinds";
import type { Route } from "../model";
import { asciiEscaped } from "../shape";
import { refKey, type Args, type Layout, type LinkRef } from "./layout";
import type { OwnedObject, Resumed } from "./owners";

/** How the program reaches the host, when it is another machine: the scan's own SSH settings. */
export interface ProgramConnection {
  host: string;
  port?: number;
  user?: string;
  /** The key goes into `pulumi config` as a secret (`sshPrivateKey`); never into the program. */
  privateKeyFromConfig: boolean;
  hostKey?: string;
  knownHostsFile?: string;
  sshConfigFile?: string;
  proxyJump?: string;
  proxyJumpHostKey?: string;
  sudo: boolean;
}

export interface ProgramOptions {
  /** Who was scanned, for the header: "localhost", "root@hv1". */
  hostLabel: string;
  connection?: ProgramConnection;
  /** A local scan run with --sudo: the resources run iproute2 through sudo too. */
  localSudo?: boolean;
}

const reserved = new Set(
  ("break case catch class const continue debugger default delete do else enum export extends false finally for function if import in " +
    "instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package " +
    "private protected public await eval arguments require exports module undefined globalThis NaN Infinity pulumi config connection").split(" "),
);

/** Readable, unique identifiers and resource names, derived from namespace and link names. */
class Names {
  private readonly variables = new Set<string>();
  private readonly resources = new Set<string>();

  /** A variable name: camelCase of the words of `label` ("lab-veth0" -> labVeth0). */
  variable(label: string): string {
    const words = label.split(/[^A-Za-z0-9]+/).filter((w) => w !== "");
    let name = words.map((w, i) => (i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1))).join("") || "link";
    if (/^[0-9]/.test(name)) name = `_${name}`;
    if (reserved.has(name)) name = `${name}_`;
    return this.unique(name, this.variables, (base, n) => `${base}${n}`);
  }

  /** A resource name (unique per program, so stable across scans of the same host). */
  resource(label: string): string {
    return this.unique(label, this.resources, (base, n) => `${base}-${n}`);
  }

  /** Takes a name a mark gives (as it is: the owner it computes must be the mark's), so no other gets it. */
  reserve(resourceName: string): void {
    this.resources.add(resourceName);
  }

  private unique(base: string, taken: Set<string>, numbered: (base: string, n: number) => string): string {
    let name = base;
    for (let n = 2; taken.has(name); n += 1) name = numbered(base, n);
    taken.add(name);
    return name;
  }
}

/** `\uXXXX` for each UTF-16 unit of `c`: what a string literal reads back as `c`, in printable ASCII. */

/**
 * A string literal in printable ASCII that evaluates to `value`: JSON escapes quotes, backslashes and
 * control characters, and leaves the rest (DEL, U+2028, bidirectional controls) as they are, so those
 * are escaped too.
 */
export const stringLiteral = (value: string) => asciiEscaped(JSON.stringify(value));
const str = stringLiteral;
const list = (values: string[]) => `[${values.map(str).join(", ")}]`;

function routeLiteral(route: Route): string {
  const parts = [`to: ${str(route.to)}`];
  if (route.via !== undefined) parts.push(`via: ${str(route.via)}`);
  if ((route.metric ?? 0) !== 0) parts.push(`metric: ${route.metric}`);
  return `{ ${parts.join(", ")} }`;
}

/**
 * Text made safe for a `//` comment, in printable ASCII: names come from the host, so a line break in one
 * (or anything JavaScript takes for one) must not end the comment, nor a bidirectional control reorder
 * what a reviewer sees. Each such character shows as its escape.
 */
const inComment = asciiEscaped;

/** `// ...` lines, wrapped at about 110 columns. */
function comment(text: string, indent = ""): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of inComment(text).split(" ")) {
    if (line !== "" && indent.length + 3 + line.length + 1 + word.length > 110) {
      lines.push(`${indent}// ${line}`);
      line = word;
    } else line = line === "" ? word : `${line} ${word}`;
  }
  if (line !== "") lines.push(`${indent}// ${line}`);
  return lines;
}

/**
 * The objects a stack's mark is on that the program leaves to that stack, grouped by it ("owned by
 * P/S:"), each as its owner names it and as the host has it.
 */
function ownedListing(layout: Layout): string[] {
  if (layout.owned.length === 0) return [];
  const byStack = new Map<string, OwnedObject[]>();
  for (const o of layout.owned) byStack.set(o.stack, [...(byStack.get(o.stack) ?? []), o]);
  const out = [
    ...comment(
      layout.stack === undefined
        ? "Made by stacks that marked them (their owner on the host): left to those stacks, not written here. " +
            "To rebuild a stack's own program (its state lost), scan with --stack <project>/<stack>: its objects are then written as its resources."
        : `Made by other stacks that marked them (their owner on the host), or ${layout.stack}'s that cannot be written back: not written here.`,
    ),
  ];
  for (const [stack, objects] of [...byStack].sort(([a], [b]) => a.localeCompare(b))) {
    out.push(...comment(`owned by ${stack}:`));
    for (const o of objects) {
      const named = o.owner.startsWith(`${stack}/`) ? o.owner.slice(stack.length + 1).replace("/", " ") : o.owner;
      const line = `- ${named}: ${o.what}${o.why !== undefined ? ` (${o.why})` : ""}`;
      out.push(...comment(line).map((l, i) => (i === 0 ? l.replace("// ", "//   ") : l.replace("// ", "//     "))));
    }
  }
  return [...out, ""];
}

/** The TypeScript program for `layout`. */
export function programOf(layout: Layout, options: ProgramOptions): string {
  const names = new Names();
  const namespaceVar = new Map<string, string>();
  const linkExpr = new Map<string, string>(); // refKey -> an expression for the link's name
  const out: string[] = [];
  const scannedList = layout.scanned.map((n) => (n === undefined ? "the host's own namespace" : `netns ${n}`)).join(", ");

  const resumes = [...layout.namespaces, ...layout.bridges, ...layout.veths, ...layout.macvlans, ...layout.vxlans].some((r) => r.resumes !== undefined);
  out.push(
    ...comment(`Written by \`pulumi-iproute2 scan\` from ${options.hostLabel} (${scannedList}).`),
    ...comment(
      `${resumes ? "Every resource without a mark on the host has" : "Every resource has"} adopt: true: the first \`pulumi up\` takes over what is there and changes nothing that already matches; ` +
        "`pulumi destroy` then removes it all. Review it like any change to the host.",
    ),
  );
  if (resumes && layout.stack !== undefined) {
    out.push(
      ...comment(
        `The resources named after a mark of ${layout.stack} have no adopt: run this program as stack ${layout.stack.split("/")[1]} of project ${layout.stack.split("/")[0]}, ` +
          "and each one's create finds what it made by its mark and resumes it.",
      ),
    );
  }
  const usesConfig = options.connection?.privateKeyFromConfig === true;
  if (usesConfig) out.push('import * as pulumi from "@pulumi/pulumi";');
  const classes = new Set<string>();
  if (layout.namespaces.length > 0) classes.add("NetNamespace");
  if (layout.bridges.length > 0) classes.add(classOfLink("bridge"));
  if (layout.veths.length > 0) classes.add(classOfLink("veth"));
  for (const m of layout.macvlans) classes.add(classOfLink(m.kind));
  if (layout.vxlans.length > 0) classes.add(classOfLink("vxlan"));
  const connection = options.connection;
  if (connection) classes.add("type ConnectionArgs");
  out.push(`import { ${[...classes].sort((a, b) => a.replace("type ", "").localeCompare(b.replace("type ", ""))).join(", ")} } from "pulumi-iproute2";`, "");

  let connectionLine: string | undefined;
  if (connection) {
    if (usesConfig) {
      out.push(...comment("The SSH key is a secret in the stack's config: `pulumi config set --secret sshPrivateKey < KEYFILE`."));
      out.push("const config = new pulumi.Config();");
    }
    const fields = [`type: "ssh"`, `host: ${str(connection.host)}`];
    if (connection.port !== undefined && connection.port !== 22) fields.push(`port: ${connection.port}`);
    if (connection.user !== undefined) fields.push(`user: ${str(connection.user)}`);
    if (usesConfig) fields.push(`privateKey: config.requireSecret("sshPrivateKey")`);
    if (connection.hostKey !== undefined) fields.push(`hostKey: ${str(connection.hostKey)}`);
    if (connection.knownHostsFile !== undefined) fields.push(`knownHostsFile: ${str(connection.knownHostsFile)}`);
    if (connection.sshConfigFile !== undefined) fields.push(`sshConfigFile: ${str(connection.sshConfigFile)}`);
    if (connection.proxyJump !== undefined) fields.push(`proxyJump: ${str(connection.proxyJump)}`);
    if (connection.proxyJumpHostKey !== undefined) fields.push(`proxyJumpHostKey: ${str(connection.proxyJumpHostKey)}`);
    if (connection.sudo) fields.push("sudo: true");
    out.push("const connection: ConnectionArgs = {", ...fields.map((f) => `  ${f},`), "};", "");
    connectionLine = "connection,";
  } else if (options.localSudo) {
    connectionLine = "connection: { sudo: true },";
  }

  /** The namespace as an expression: the NetNamespace's name when the program manages it. */
  const netnsExpr = (netns: string) => namespaceVar.get(netns) ?? str(netns);
  const others = new Map(layout.others.map((o) => [refKey(o), o]));
  /** One argument as a line: references where the program manages what it names, literals otherwise. */
  const field = (key: string, value: Args[string], args: Args): string => {
    if (key === "netns" || key === "parentNetns" || key === "peerNetns") return `${key}: ${netnsExpr(String(value))},`;
    if (key === "parent" || key === "underlay") {
      const ref = { netns: (key === "parent" ? args.parentNetns : args.netns) as string | undefined, name: String(value) };
      const managed = linkExpr.get(refKey(ref));
      if (managed !== undefined) return `${key}: ${managed},`;
      return `${key}: ${str(ref.name)}, // ${inComment(others.get(refKey(ref))?.kind ?? "a link")}, not managed by this program`;
    }
    if (key === "master" || key === "peerMaster") {
      // A port's bridge is in the port's own namespace.
      const ref = { netns: (key === "master" ? args.netns : args.peerNetns) as string | undefined, name: String(value) };
      const managed = linkExpr.get(refKey(ref));
      if (managed !== undefined) return `${key}: ${managed},`;
      return `${key}: ${str(ref.name)}, // ${inComment(others.get(refKey(ref))?.kind ?? "a link")}, not managed by this program`;
    }
    if (key === "routes") return `routes: [${(value as Route[]).map(routeLiteral).join(", ")}],`;
    if (key === "announce") return "announce: false, // as the host has it (arp_notify/ndisc_notify 0); true tells neighbours of new addresses at once";
    if (Array.isArray(value)) return `${key}: ${list(value as string[])},`;
    return `${key}: ${typeof value === "string" ? str(value) : String(value)},`;
  };
  // A mark's names first, as they are: the others are numbered around them.
  for (const r of [...layout.namespaces, ...layout.bridges, ...layout.veths, ...layout.macvlans, ...layout.vxlans]) if (r.resumes) names.reserve(r.resumes.resourceName);
  /** One resource; one a mark names is written under that name and without adopt: its create resumes it. */
  const resource = (cls: string, variable: string, label: string, args: Args, notes: string[] = [], resumes?: Resumed) => {
    for (const note of notes) out.push(...comment(note));
    if (resumes) out.push(...comment(`carries the mark of ${resumes.owner}: its create resumes it`));
    out.push(`const ${variable} = new ${cls}(${str(resumes ? resumes.resourceName : names.resource(label))}, {`);
    for (const [key, value] of Object.entries(args)) out.push(`  ${field(key, value, args)}`);
    for (const line of [connectionLine, resumes ? undefined : "adopt: true,"]) if (line !== undefined) out.push(`  ${line}`);
    out.push("});", "");
  };
  const label = (ref: LinkRef) => (ref.netns !== undefined ? `${ref.netns}-${ref.name}` : ref.name);

  for (const ns of layout.namespaces) {
    const variable = names.variable(ns.name);
    namespaceVar.set(ns.name, `${variable}.name`);
    resource("NetNamespace", variable, ns.name, ns.args, [], ns.resumes);
  }
  // Bridges before their ports, which refer to them.
  for (const bridge of layout.bridges) {
    const variable = names.variable(label(bridge));
    linkExpr.set(refKey(bridge), `${variable}.name`);
    resource(classOfLink("bridge"), variable, label(bridge), bridge.args, bridge.notes, bridge.resumes);
  }
  for (const veth of layout.veths) {
    const variable = names.variable(label(veth.end));
    linkExpr.set(refKey(veth.end), `${variable}.name`);
    linkExpr.set(refKey(veth.peer), `${variable}.peerName`);
    resource(classOfLink("veth"), variable, label(veth.end), veth.args, veth.notes, veth.resumes);
  }
  for (const m of layout.macvlans) {
    const variable = names.variable(label(m));
    linkExpr.set(refKey(m), `${variable}.name`);
    resource(classOfLink(m.kind), variable, label(m), m.args, m.notes, m.resumes);
  }

  for (const v of layout.vxlans) {
    const variable = names.variable(label(v));
    linkExpr.set(refKey(v), `${variable}.name`);
    resource(classOfLink("vxlan"), variable, label(v), v.args, v.notes, v.resumes);
  }

  out.push(...ownedListing(layout));
  if (layout.skipped.length > 0) {
    out.push("// Not managed by this program: up leaves them as they are (destroying a namespace deletes the links in it).");
    for (const line of layout.skipped) out.push(...comment(`- ${line}`).map((l, i) => (i === 0 ? l : l.replace("// ", "//   "))));
  } else if (layout.owned.length === 0) {
    out.push("// Nothing on the scanned namespaces was left out.");
  }
  return `${out.join("\n")}\n`;
}
