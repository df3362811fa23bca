// What state/ throws when a read fails: what the command said (or what was wrong with its output) and
// what kind of failure that is, read by exec/errors.ts's `classify`. A reader does not know which
// resource it reads for: the lifecycle puts its error in the resource's context (`inContext`), so the
// message names the verb, the object, its namespace and its host like every other error.
import { hintFor, Iproute2Error, type ErrorContext, type FailureKind } from "../exec/errors";

export class ReadError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ReadError";
  }

  /** This failure in the one error shape, as the read done for `context`. */
  inContext(context: ErrorContext): Iproute2Error {
    return new Iproute2Error(this.kind, context, this.message, hintFor(this.kind), { cause: this });
  }
}
