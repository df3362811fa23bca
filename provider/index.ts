export { NetNamespace, type NetNamespaceArgs } from "./resources/netNamespace";
export { VethPair, type VethPairArgs } from "./resources/vethPair";
export { MacvlanLink, type MacvlanLinkArgs, type RouteArgs } from "./resources/macvlanLink";
export { Macvtap, type MacvtapArgs } from "./resources/macvtap";
export { Bridge, type BridgeArgs } from "./resources/bridge";
export { Vxlan, type VxlanArgs } from "./resources/vxlan";
export type { ConnectionArgs, LocalConnectionArgs, SshConnectionArgs } from "./resources/connectionArgs";
export { Iproute2Error, type FailureKind } from "./exec/errors";
export { macvlanModes, type MacvlanMode } from "./model";
