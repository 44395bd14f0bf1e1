// The AWS SDK for JavaScript v3 against gantryd's ECS endpoint: the service operations the
// Debian AWS CLI (2.9) does not know yet — ListServiceDeployments, DescribeServiceDeployments,
// StopServiceDeployment — besides Create/Update/Delete/DescribeServices and the SDK's own
// waitUntilServicesStable. Run by ecs_sdk_test.py, which starts gantryd and a simulated fleet.
//
// usage: node ecs_sdk_services.mjs ENDPOINT
import {
  ECSClient, RegisterTaskDefinitionCommand, CreateServiceCommand, UpdateServiceCommand,
  DescribeServicesCommand, ListServicesCommand, DeleteServiceCommand,
  ListServiceDeploymentsCommand, DescribeServiceDeploymentsCommand,
  StopServiceDeploymentCommand, waitUntilServicesStable,
} from "@aws-sdk/client-ecs";

const endpoint = process.argv[2];
const ecs = new ECSClient({
  endpoint, region: "us-east-1",
  credentials: { accessKeyId: "AKIDSDKTEST", secretAccessKey: "sdk-test-secret" },
});
const cluster = "sdk";
let failures = 0;
function check(ok, what) {
  console.log((ok ? "ok   " : "FAIL ") + what);
  if (!ok) failures++;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, fn, ms = 30000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await fn();
    if (got) return got;
    if (Date.now() > deadline) { check(false, what); return null; }
    await sleep(100);
  }
}
const stable = (services) => waitUntilServicesStable(
  { client: ecs, maxWaitTime: 60, minDelay: 1, maxDelay: 2 }, { cluster, services });

await ecs.send(new RegisterTaskDefinitionCommand({
  family: "web",
  containerDefinitions: [{ name: "app", image: "x", command: ["sleep", "600"], memory: 16 }],
}));
const created = await ecs.send(new CreateServiceCommand({
  cluster, serviceName: "web", taskDefinition: "web", desiredCount: 3,
  deploymentConfiguration: {
    maximumPercent: 200, minimumHealthyPercent: 50,
    deploymentCircuitBreaker: { enable: true, rollback: true },
  },
}));
check(created.service.serviceArn === "arn:aws:ecs:us-east-1:000000000000:service/sdk/web",
      "CreateService: " + created.service.serviceArn);
check(created.service.createdAt instanceof Date, "createdAt parses as a Date");
const waited = await stable(["web"]);
check(waited.state === "SUCCESS", "waitUntilServicesStable: " + waited.state);

let described = (await ecs.send(new DescribeServicesCommand({ cluster, services: ["web"] })))
  .services[0];
check(described.runningCount === 3 && described.deployments.length === 1 &&
      described.deployments[0].rolloutState === "COMPLETED",
      "DescribeServices: 3 running, one COMPLETED deployment");
check(described.events.some((e) => e.message === "(service web) has reached a steady state."),
      "DescribeServices events: steady state");
check(typeof described.currentServiceDeployment === "string" &&
      described.currentServiceDeployment.includes(":service-deployment/sdk/web/"),
      "currentServiceDeployment: " + described.currentServiceDeployment);
const listed = await ecs.send(new ListServicesCommand({ cluster }));
check(listed.serviceArns.length === 1, "ListServices: one service");

// A new deployment of the same revision.
await ecs.send(new UpdateServiceCommand({ cluster, service: "web", forceNewDeployment: true }));
check((await stable(["web"])).state === "SUCCESS", "forceNewDeployment: stable again");
let deployments = (await ecs.send(new ListServiceDeploymentsCommand({ cluster, service: "web" })))
  .serviceDeployments;
check(deployments.length === 2 && deployments.every((d) => d.status === "SUCCESSFUL"),
      "ListServiceDeployments: two SUCCESSFUL, " + deployments.map((d) => d.status).join(","));
check(deployments[0].startedAt >= deployments[1].startedAt, "newest first");
const full = (await ecs.send(new DescribeServiceDeploymentsCommand({
  serviceDeploymentArns: [deployments[0].serviceDeploymentArn],
}))).serviceDeployments[0];
check(full.targetServiceRevision.runningTaskCount === 3 &&
      full.deploymentCircuitBreaker.threshold === 3 &&
      full.deploymentCircuitBreaker.status === "MONITORING_COMPLETE" &&
      full.finishedAt instanceof Date,
      "DescribeServiceDeployments: revision counts, circuit breaker, finishedAt");

// A revision no instance has room for: its deployment stays IN_PROGRESS until stopped, and the
// stop rolls back to the last completed one.
await ecs.send(new RegisterTaskDefinitionCommand({
  family: "huge",
  containerDefinitions: [{ name: "app", image: "x", command: ["sleep", "600"], memory: 999999 }],
}));
await ecs.send(new UpdateServiceCommand({ cluster, service: "web", taskDefinition: "huge" }));
const inProgress = await until("a deployment IN_PROGRESS", async () => {
  const d = (await ecs.send(new ListServiceDeploymentsCommand({
    cluster, service: "web", status: ["IN_PROGRESS"],
  }))).serviceDeployments;
  return d.length ? d[0] : null;
});
described = (await ecs.send(new DescribeServicesCommand({ cluster, services: ["web"] })))
  .services[0];
check(described.events.some((e) => e.message.includes("was unable to place a task") &&
                                    e.message.includes("insufficient memory")),
      "the unplaced task is told, with every stage's rejections");
const stopped = await ecs.send(new StopServiceDeploymentCommand({
  serviceDeploymentArn: inProgress.serviceDeploymentArn, stopType: "ROLLBACK",
}));
check(stopped.serviceDeploymentArn === inProgress.serviceDeploymentArn, "StopServiceDeployment");
const rolledBack = await until("ROLLBACK_SUCCESSFUL", async () => {
  const d = (await ecs.send(new DescribeServiceDeploymentsCommand({
    serviceDeploymentArns: [inProgress.serviceDeploymentArn],
  }))).serviceDeployments[0];
  return d.status === "ROLLBACK_SUCCESSFUL" ? d : null;
});
check(rolledBack && rolledBack.rollback.reason === "StopServiceDeployment requested a rollback",
      "the rollback says why");
described = (await ecs.send(new DescribeServicesCommand({ cluster, services: ["web"] })))
  .services[0];
check(described.deployments.length === 1 && described.deployments[0].taskDefinition.endsWith("web:1"),
      "web:1 runs again");
try {
  await ecs.send(new StopServiceDeploymentCommand({
    serviceDeploymentArn: inProgress.serviceDeploymentArn }));
  check(false, "stopping a finished deployment is refused");
} catch (e) {
  check(e.name === "ConflictException", "stopping a finished deployment: " + e.name);
}
try {
  await ecs.send(new DescribeServicesCommand({ cluster: "nope", services: ["web"] }));
  check(false, "an unknown cluster is refused");
} catch (e) {
  check(e.name === "ClusterNotFoundException", "unknown cluster: " + e.name);
}

const gone = await ecs.send(new DeleteServiceCommand({ cluster, service: "web", force: true }));
check(gone.service.status === "DRAINING", "DeleteService force: DRAINING");
if (failures) {
  console.log(`${failures} check(s) failed`);
  process.exit(1);
}
console.log("all checks passed");
