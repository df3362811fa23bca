// The scan as a Pulumi program (`index.ts`): one resource per namespace, veth pair and macvlan or
// macvtap child, each with `adopt: true` and every managed argument as the host has it, referring to
// the resources it depends on (`netns: lab.name`, `parent: uplink.name`) so the engine orders them.
// What it does not manage is named literally, or listed in a comment with why. Pure text.
import type { Route } from "../model";
import { refKey, unsafeCharacters, type Args, type Layout, type LinkRef } from "./layout";

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

  private unique(base: string, taken: Set<string>, numbered: (base: string, n: number) => string): string {
    let name = base;
    for (let n = 2; taken.has(name); n += 1) name = numbered(base, n);
    taken.add(name);
    return name;
  }
}

/** `\uXXXX` for each UTF-16 unit of `c`: what a string literal reads back as `c`, in printable ASCII. */
const unitEscapes = (c: string) => Array.from({ length: c.length }, (_, i) => `\\u${c.charCodeAt(i).toString(16).padStart(4, "0")}`).join("");

/**
 * A string literal in printable ASCII that evaluates to `value`: JSON escapes quotes, backslashes and
 * control characters, and leaves the rest (DEL, U+2028, bidirectional controls) as they are, so those
 * are escaped too.
 */
export const stringLiteral = (value: string) => JSON.stringify(value).replace(unsafeCharacters, unitEscapes);
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
const inComment = (text: string) => text.replace(unsafeCharacters, unitEscapes);

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

/** The TypeScript program for `layout`. */
export function programOf(layout: Layout, options: ProgramOptions): string {
  const names = new Names();
  const namespaceVar = new Map<string, string>();
  const linkExpr = new Map<string, string>(); // refKey -> an expression for the link's name
  const out: string[] = [];
  const scannedList = layout.scanned.map((n) => (n === undefined ? "the host's own namespace" : `netns ${n}`)).join(", ");

  out.push(
    ...comment(`Written by \`pulumi-iproute2 scan\` from ${options.hostLabel} (${scannedList}).`),
    ...comment(
      "Every resource has adopt: true: the first `pulumi up` takes over what is there and changes nothing that already matches; " +
        "`pulumi destroy` then removes it all. Review it like any change to the host.",
    ),
  );
  const usesConfig = options.connection?.privateKeyFromConfig === true;
  if (usesConfig) out.push('import * as pulumi from "@pulumi/pulumi";');
  const classes = new Set<string>();
  if (layout.namespaces.length > 0) classes.add("NetNamespace");
  if (layout.veths.length > 0) classes.add("VethPair");
  for (const m of layout.macvlans) classes.add(m.kind === "macvtap" ? "Macvtap" : "MacvlanLink");
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
    if (key === "parent") {
      const ref = { netns: args.parentNetns as string | undefined, name: String(value) };
      const managed = linkExpr.get(refKey(ref));
      if (managed !== undefined) return `parent: ${managed},`;
      return `parent: ${str(ref.name)}, // ${inComment(others.get(refKey(ref))?.kind ?? "a link")}, not managed by this program`;
    }
    if (key === "routes") return `routes: [${(value as Route[]).map(routeLiteral).join(", ")}],`;
    if (key === "announce") return "announce: false, // as the host has it (arp_notify/ndisc_notify 0); true tells neighbours of new addresses at once";
    if (Array.isArray(value)) return `${key}: ${list(value as string[])},`;
    return `${key}: ${typeof value === "string" ? str(value) : String(value)},`;
  };
  const resource = (cls: string, variable: string, name: string, args: Args, notes: string[] = []) => {
    for (const note of notes) out.push(...comment(note));
    out.push(`const ${variable} = new ${cls}(${str(name)}, {`);
    for (const [key, value] of Object.entries(args)) out.push(`  ${field(key, value, args)}`);
    for (const line of [connectionLine, "adopt: true,"]) if (line !== undefined) out.push(`  ${line}`);
    out.push("});", "");
  };
  const label = (ref: LinkRef) => (ref.netns !== undefined ? `${ref.netns}-${ref.name}` : ref.name);

  for (const ns of layout.namespaces) {
    const variable = names.variable(ns.name);
    namespaceVar.set(ns.name, `${variable}.name`);
    resource("NetNamespace", variable, names.resource(ns.name), ns.args);
  }
  for (const veth of layout.veths) {
    const variable = names.variable(label(veth.end));
    linkExpr.set(refKey(veth.end), `${variable}.name`);
    linkExpr.set(refKey(veth.peer), `${variable}.peerName`);
    resource("VethPair", variable, names.resource(label(veth.end)), veth.args, veth.notes);
  }
  for (const m of layout.macvlans) {
    const variable = names.variable(label(m));
    linkExpr.set(refKey(m), `${variable}.name`);
    resource(m.kind === "macvtap" ? "Macvtap" : "MacvlanLink", variable, names.resource(label(m)), m.args, m.notes);
  }

  if (layout.skipped.length > 0) {
    out.push("// Not managed by this program: up leaves them as they are (destroying a namespace deletes the links in it).");
    for (const line of layout.skipped) out.push(...comment(`- ${line}`).map((l, i) => (i === 0 ? l : l.replace("// ", "//   "))));
  } else {
    out.push("// Nothing on the scanned namespaces was left out.");
  }
  return `${out.join("\n")}\n`;
}
