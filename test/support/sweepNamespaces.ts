// After a run: removes any namespace this run made that a test failed to remove, and the run's lock
// on the default tap nodes (test/support/tapNodes.ts).
import { rmSync } from "node:fs";
import { removeRunNamespaces, runId } from "./netns";
import { tapNodesLock } from "./tapNodes";

export default function setup() {
  return async () => {
    await removeRunNamespaces(runId);
    rmSync(tapNodesLock, { force: true });
  };
}
