// Stacks the way users run them: the plain `pulumi` CLI in a Pulumi project folder (an example, or a
// test project) whose node_modules has the package installed as a copy. Used by the end-to-end tests
// (through testStack.ts) and the benchmarks.
import { execa, type ResultPromise } from "execa";

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** What one update did, as `pulumi stack history` records it (e.g. `{ create: 7 }`). */
export interface UpdateRecord {
  kind: string;
  result: string;
  resourceChanges: Record<string, number>;
}

export class CliStack {
  private disposed = false;

  private constructor(
    /** The project folder (Pulumi.yaml, index.ts, package.json). */
    readonly dir: string,
    readonly name: string,
    /** What the CLI runs with (Engine.env on top of this process's environment). */
    private readonly env: Record<string, string>,
  ) {}

  /** `pulumi stack init NAME` in the project folder `dir`, then its config. */
  static async init(dir: string, name: string, env: Record<string, string>, config: Record<string, string> = {}): Promise<CliStack> {
    const stack = new CliStack(dir, name, env);
    await stack.ok("stack", "init"); // named by --stack
    for (const [key, value] of Object.entries(config)) await stack.ok("config", "set", key, value);
    return stack;
  }

  /** `pulumi ARGS --stack NAME --non-interactive` in the project folder; never throws. */
  async pulumi(args: string[], options: { input?: string } = {}): Promise<CliResult> {
    const result = await execa("pulumi", [...args, "--stack", this.name, "--non-interactive"], {
      cwd: this.dir,
      env: this.env,
      input: options.input ?? "",
      reject: false,
    });
    return { exitCode: result.exitCode ?? 1, stdout: result.stdout, stderr: result.stderr };
  }

  /**
   * Starts `pulumi ARGS --stack NAME --non-interactive` without waiting for it, for a test that kills
   * it half-way (test/support/processTree.ts). Never rejects: the result says how it ended.
   */
  start(args: string[]): ResultPromise<{ reject: false }> {
    return execa("pulumi", [...args, "--stack", this.name, "--non-interactive"], { cwd: this.dir, env: this.env, input: "", reject: false });
  }

  /** Like `pulumi`, but a non-zero exit is an error carrying the CLI's output. */
  async ok(...args: string[]): Promise<CliResult> {
    const result = await this.pulumi(args);
    if (result.exitCode !== 0) {
      throw new Error(`pulumi ${args.join(" ")} exited ${result.exitCode}:\n${result.stdout}\n${result.stderr}`);
    }
    return result;
  }

  /** `pulumi config set --secret KEY` with the value on stdin, as the README says: never in argv. */
  async setSecret(key: string, value: string): Promise<void> {
    await this.setFromStdin(key, value, ["--secret"]);
  }

  /** `pulumi config set [FLAGS] KEY` with the value on stdin (a key file's text starts with "-"). */
  async setFromStdin(key: string, value: string, flags: string[] = []): Promise<void> {
    const result = await this.pulumi(["config", "set", ...flags, key], { input: value });
    if (result.exitCode !== 0) throw new Error(`pulumi config set ${[...flags, key].join(" ")} exited ${result.exitCode}: ${result.stderr}`);
  }

  /** The stack's outputs (`pulumi stack output --json`; secrets stay "[secret]"). */
  async outputs(): Promise<Record<string, unknown>> {
    return JSON.parse((await this.ok("stack", "output", "--json")).stdout) as Record<string, unknown>;
  }

  /** The newest update, refresh or destroy in `pulumi stack history`. */
  async lastUpdate(): Promise<UpdateRecord> {
    const history = JSON.parse((await this.ok("stack", "history", "--json")).stdout) as UpdateRecord[];
    const last = history[0];
    if (!last) throw new Error(`stack ${this.name} has no history`);
    return { kind: last.kind, result: last.result, resourceChanges: last.resourceChanges ?? {} };
  }

  /** Runs `pulumi ARGS` and returns what it changed, from the history (e.g. up → `{ create: 7 }`). */
  async changes(...args: string[]): Promise<Record<string, number>> {
    await this.ok(...args);
    return (await this.lastUpdate()).resourceChanges;
  }

  /** Destroys what is left and removes the stack and its config file; safe to call twice. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.pulumi(["destroy", "--yes", "--skip-preview"]);
    await this.pulumi(["stack", "rm", "--yes", "--force"]);
  }
}

/** The "Resources:" summary a preview prints, e.g. `{ update: 2, same: 5 }`. */
export function previewSummary(stdout: string): Record<string, number> {
  const verbs: Record<string, string> = { create: "create", update: "update", delete: "delete", replace: "replace", unchanged: "same" };
  const summary: Record<string, number> = {};
  const block = stdout.slice(stdout.lastIndexOf("Resources:"));
  for (const match of block.matchAll(/^\s*(?:[+~-]+\s*)?(\d+)\s+(?:to\s+)?(create|update|delete|replace|unchanged)\b/gm)) {
    const verb = verbs[match[2] ?? ""];
    if (verb) summary[verb] = Number(match[1]);
  }
  return summary;
}
