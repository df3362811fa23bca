// A user's project on an older @pulumi/pulumi than the one this repository tests with: the oldest in
// the package's peer range (package.json; test/e2e/sdkRange.test.ts writes that version here). The
// package must run on the project's own SDK, the only copy installed, so one small resource will do.
import * as pulumi from "@pulumi/pulumi";
import { NetNamespace } from "pulumi-iproute2";

const config = new pulumi.Config();
const netns = new NetNamespace("netns", { name: config.require("netnsName") });

export const path = netns.path;
