// The layers of provider/, lowest first; an import may only run down (run by `npm run lint`, which
// `npm test` and scripts/test.sh run). Every file of provider/ must be in a layer.
//   model.ts, shape.ts, ownerMark.ts, kinds.ts, labels.ts   shapes, tables, the registry of kinds and pure helpers everything shares
//   exec/                running commands (local, ssh) and their errors
//   schema/              inputs -> defaulted arguments (zod)
//   plan/   state/       pure steps from (desired, observed) | reading the host back; neither imports the other
//   apply.ts             a plan run with its undo stack, and its read-back
//   resources/           each resource's tables, the lifecycle, the classes users construct
//   scan/                reading a whole host, and the program and flowchart drawn from it (reads only)
//   index.ts impl.ts echo.ts cli.ts cliFiles.ts   the package's entry points (cli.ts: the `pulumi-iproute2` command; cliFiles.ts: the files it reads and writes)
const layer = {
  leaf: "^provider/(model|shape|ownerMark|kinds|labels)\\.ts$",
  exec: "^provider/exec/",
  schema: "^provider/schema/",
  plan: "^provider/plan/",
  state: "^provider/state/",
  apply: "^provider/apply\\.ts$",
  resources: "^provider/resources/",
  scan: "^provider/scan/",
  entries: "^provider/(index|impl|echo|cli|cliFiles)\\.ts$",
};
const above = {
  leaf: ["exec", "schema", "plan", "state", "apply", "resources", "scan", "entries"],
  exec: ["schema", "plan", "state", "apply", "resources", "scan", "entries"],
  schema: ["plan", "state", "apply", "resources", "scan", "entries"],
  plan: ["state", "apply", "resources", "scan", "entries"],
  state: ["plan", "apply", "resources", "scan", "entries"],
  apply: ["resources", "scan", "entries"],
  resources: ["scan", "entries"],
  scan: ["apply", "resources", "entries"],
};

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "every-file-in-a-layer",
      severity: "error",
      comment: "A provider/ file in no layer could be imported from anywhere: add it to a layer here.",
      from: { path: "^provider/", pathNot: Object.values(layer).join("|") },
      to: {},
    },
    {
      name: "imports-a-file-in-no-layer",
      severity: "error",
      comment: "A provider/ file in no layer could be imported from anywhere: add it to a layer here.",
      from: { path: "^provider/" },
      to: { path: "^provider/", pathNot: Object.values(layer).join("|") },
    },
    {
      name: "no-circular",
      severity: "error",
      comment: "A cycle means some import runs up the layers.",
      from: { path: "^provider/" },
      to: { circular: true },
    },
    ...Object.entries(above).map(([from, higher]) => ({
      name: `${from}-imports-only-below`,
      severity: "error",
      comment: `provider/ ${from} may not import ${higher.join(", ")}: move what is shared down a layer.`,
      from: { path: layer[from] },
      to: { path: higher.map((name) => layer[name]).join("|") },
    })),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
