// The arguments every resource that manages something on a host takes last, declared once.
import { connection } from "./connection";
import { flag, owner, persistFlag } from "./fields";

/** Adopt, persist (defaulted from the connection's by `withPersist`), its owner and its connection. */
export const hostObjectFields = {
  adopt: flag.default(false),
  persist: persistFlag,
  owner: owner.optional(),
  connection,
};
