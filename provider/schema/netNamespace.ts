import type { NetNamespaceDesired } from "../model";
import { connection } from "./connection";
import type { ArgsSpec } from "./validate";
import { flag, netnsName, owner, persistFlag } from "./fields";
import { withPersist } from "./persist";

export const netNamespaceArgs: ArgsSpec<NetNamespaceDesired> = {
  kind: "NetNamespace",
  fields: {
    name: netnsName,
    loopbackUp: flag.default(true),
    adopt: flag.default(false),
    persist: persistFlag,
    owner: owner.optional(),
    connection,
  },
  rules: [],
  complete: withPersist,
};
