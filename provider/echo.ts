// `pulumi-iproute2/echo`: Echo, a resource that touches no host, for the benchmarks' engine floor and
// the engine's own tests. Not part of what users construct, so not in the main entry point.
export { Echo } from "./resources/echo";
