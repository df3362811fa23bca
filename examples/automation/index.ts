// Labs on demand, driven from code with the Automation API, as a platform team's own service would
// drive pulumi-iproute2: one stack of the lab project (../lab) per lab, each with its own namespace
// prefix, so several labs live side by side on one host.
//
//   node bin/index.js up NAME...     bring these labs up (or bring them back to the program), in parallel
//   node bin/index.js show [NAME...] print the outputs of these labs (default: every lab)
//   node bin/index.js down NAME...   tear these labs down and remove their stacks
//
// It uses your Pulumi setup as it is (backend login or PULUMI_BACKEND_URL, PULUMI_CONFIG_PASSPHRASE).
import * as path from "node:path";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";

const labProject = path.resolve(__dirname, "..", "..", "lab");
const stackPrefix = "lab-";
// A lab's name prefixes its namespaces (`<name>-ns1`): short, and safe in a file name.
const labName = /^[a-z][a-z0-9]{0,11}$/;

/** The lab's stack: made if need be for `up`; for anything else a lab that does not exist is an error. */
function stackOf(name: string, create = false): Promise<Stack> {
  const args = { stackName: `${stackPrefix}${name}`, workDir: labProject };
  return create ? LocalWorkspace.createOrSelectStack(args) : LocalWorkspace.selectStack(args);
}

async function outputsOf(stack: Stack): Promise<Record<string, unknown>> {
  const outputs = await stack.outputs();
  return Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.secret ? "[secret]" : output.value]));
}

async function up(name: string): Promise<void> {
  const stack = await stackOf(name, true);
  await stack.setConfig("namePrefix", { value: `${name}-` });
  const result = await stack.up();
  console.log(JSON.stringify({ lab: name, result: result.summary.result, changes: result.summary.resourceChanges, outputs: await outputsOf(stack) }));
}

async function show(names: string[]): Promise<void> {
  const workspace = await LocalWorkspace.create({ workDir: labProject });
  const labs = (await workspace.listStacks()).map((s) => s.name).filter((s) => s.startsWith(stackPrefix));
  for (const stackName of labs) {
    const name = stackName.slice(stackPrefix.length);
    if (names.length > 0 && !names.includes(name)) continue;
    const stack = await stackOf(name);
    const last = await stack.info();
    console.log(JSON.stringify({ lab: name, lastUpdate: last?.result, at: last?.endTime, outputs: await outputsOf(stack) }));
  }
}

async function down(name: string): Promise<void> {
  const stack = await stackOf(name);
  const result = await stack.destroy();
  await stack.workspace.removeStack(stack.name);
  console.log(JSON.stringify({ lab: name, result: result.summary.result, changes: result.summary.resourceChanges }));
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  const names = [...new Set(args)];
  const bad = names.filter((name) => !labName.test(name));
  if (bad.length > 0) throw new Error(`lab names are 1-12 lowercase letters and digits, starting with a letter: ${bad.join(", ")}`);
  if (command === "show") return show(names);
  if ((command !== "up" && command !== "down") || names.length === 0) {
    throw new Error("usage: node bin/index.js up NAME... | show [NAME...] | down NAME...");
  }
  const results = await Promise.allSettled(names.map((name) => (command === "up" ? up(name) : down(name))));
  const failed = results.flatMap((r, i) => (r.status === "rejected" ? [`${names[i]}: ${r.reason instanceof Error ? r.reason.message : String(r.reason)}`] : []));
  if (failed.length > 0) throw new Error(`${command} failed for ${failed.length} lab(s):\n${failed.join("\n")}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
