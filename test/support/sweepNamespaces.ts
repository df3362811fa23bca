// After a run: removes any namespace this run made that a test failed to remove.
import { removeRunNamespaces, runId } from "./netns";

export default function setup() {
  return async () => {
    await removeRunNamespaces(runId);
  };
}
