// The demo: brings the lab up with the real Pulumi CLI (Automation API), proves connectivity with ping
// from ns1, and destroys it again unless run with --keep. Everything lives in namespaces it creates
// (prefixed "demo-"); no interface or address of the machine itself is touched.
import path from "node:path";
import { execa } from "execa";
import { appAt, demoProjectName, engineEnvironment, ensureEngine, loadAppModule, openStack, prepareApp, repoRoot } from "../support/engine";
import type { labProgram } from "./program";

const keep = process.argv.includes("--keep");
const prefix = "demo-";

async function ping(netns: string, address: string, what: string): Promise<boolean> {
  const result = await execa("ip", ["netns", "exec", netns, "ping", "-c", "3", "-i", "0.2", "-W", "1", address], { reject: false });
  const summary = result.stdout.split("\n").find((line) => line.includes("packets transmitted")) ?? result.stderr;
  console.log(`  ping ${netns} -> ${address} (${what}): ${result.exitCode === 0 ? "OK" : "FAILED"}  ${summary}`);
  return result.exitCode === 0;
}

async function main() {
  const binDir = await ensureEngine();
  const app = await prepareApp(path.join(repoRoot, ".work", "demo"));
  const { labProgram: program } = loadAppModule<{ labProgram: typeof labProgram }>(app, path.join(repoRoot, "dist", "examples", "lab", "program.js"));

  const stack = await openStack(app, binDir, { projectName: demoProjectName(), stackName: "demo", program, envVars: engineEnvironment(binDir) });
  await stack.setConfig("namePrefix", { value: prefix });
  const print = (text: string) => process.stdout.write(text);
  let ok = false;
  try {
    await stack.up({ onOutput: print });
    console.log("\nConnectivity:");
    const results = [
      await ping(`${prefix}ns1`, "10.77.0.2", "ns2's macvlan, bridge mode"),
      await ping(`${prefix}ns1`, "10.77.0.254", "the veth peer in lab"),
      await ping(`${prefix}ns1`, "10.77.0.1", "its own address, lo is up"),
    ];
    ok = results.every(Boolean);
  } finally {
    if (keep) {
      console.log(`\nKept. Look around with: ip netns exec ${prefix}ns1 ip addr; destroy with: bash scripts/demo.sh --destroy`);
    } else {
      await stack.destroy({ onOutput: print });
      await stack.workspace.removeStack("demo");
    }
  }
  if (!ok) throw new Error("the lab came up but connectivity is not as expected");
}

async function destroyOnly() {
  const binDir = await ensureEngine();
  // The app folder of the --keep run, as it is: nothing to install to destroy what it made.
  const app = appAt(path.join(repoRoot, ".work", "demo"));
  const stack = await openStack(app, binDir, {
    projectName: demoProjectName(),
    stackName: "demo",
    program: async () => undefined,
    envVars: engineEnvironment(binDir),
    existing: true,
  });
  await stack.destroy({ onOutput: (text) => process.stdout.write(text) });
  await stack.workspace.removeStack("demo");
}

(process.argv.includes("--destroy") ? destroyOnly() : main()).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
