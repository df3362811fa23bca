// A program as installed on a host (the restore program, the device node program, the DHCP program):
// its second line says its version, so a writer that runs on every create and update rewrites it only
// when it changed, reading one line to know.
import { createHash } from "node:crypto";

export interface InstalledProgram {
  text: string;
  /** Its second line: `# pulumi-iproute2 HASH`, a hash of the rest. */
  version: string;
}

export function installedProgram(program: string): InstalledProgram {
  const body = program.replace(/^#!\/bin\/sh\n/, "");
  const version = `# pulumi-iproute2 ${createHash("sha256").update(body).digest("hex").slice(0, 16)}`;
  return { text: `#!/bin/sh\n${version}\n${body}`, version };
}
