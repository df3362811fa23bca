// Entry point for `pulumi up` with a Pulumi CLI that has the Node.js language host (Pulumi.yaml's main).
import { labProgram } from "./program";

export = labProgram;
