#!/usr/bin/env python3
"""The talk's AWS CLI commands against gantryd and three local agents.

Starts gantryd (SigV4 required, with a credentials file) and three gantry-agents in zones
us-east-1a/b/c with instance types t2.small, t2.medium and g2.2xlarge on loopback ports picked at
run time, then runs `aws ecs ...` with --endpoint-url exactly as the talk does and checks the
answers: list-container-instances filters (==, matches, in, !=, compound), run-task with memberOf
constraints, run-task --count 9 with spread over zones then binpack on memory, stop-task,
describe-tasks, services (the talk's GPU service, create/update/delete-service, `aws ecs wait
services-stable`, describe-services and list-services), and a wrongly signed request. Installs the AWS CLI (Debian's awscli) if missing.

usage: aws_cli_test.py BIN_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from e2e import FAILURES, check, ensure_aws_cli, free_port, stop_processes, wait_for

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/bin"


def main():
    ensure_aws_cli()
    work = tempfile.mkdtemp(prefix="gantry-aws-e2e-")
    port, grpc_port = free_port(), free_port()
    creds = os.path.join(work, "aws-credentials.csv")
    with open(creds, "w") as f:
        f.write("# access key id, secret\nAKIDGANTRYE2E,gantry-e2e-secret\n")
    # Once any authentication is configured every listener requires it, gRPC included: the
    # agents present an agent-role bearer token from a private file.
    tokens = os.path.join(work, "tokens.csv")
    agent_token = os.path.join(work, "agent-token")
    for path, text in ((tokens, "gantry-e2e-agent-token,agents,agent\n"),
                       (agent_token, "gantry-e2e-agent-token\n")):
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(text)
    procs = []
    log = lambda name: open(os.path.join(work, name + ".log"), "w")
    procs.append(subprocess.Popen(
        [os.path.join(BIN, "gantryd"), "--data-dir", os.path.join(work, "data"),
         "--listen", f"127.0.0.1:{port}", "--grpc-listen", f"127.0.0.1:{grpc_port}",
         "--aws-credentials-file", creds, "--token-file", tokens, "--region", "us-east-1", "--account-id", "123456789000"],
        stdout=log("gantryd"), stderr=subprocess.STDOUT))
    endpoint = f"http://127.0.0.1:{port}"
    env = dict(os.environ, AWS_ACCESS_KEY_ID="AKIDGANTRYE2E",
               AWS_SECRET_ACCESS_KEY="gantry-e2e-secret", AWS_DEFAULT_REGION="us-east-1",
               AWS_PAGER="", AWS_CONFIG_FILE=os.path.join(work, "no-config"),
               AWS_SHARED_CREDENTIALS_FILE=os.path.join(work, "no-credentials"))

    def aws(*args, expect_ok=True, environ=None):
        r = subprocess.run(["aws", "ecs", *args, "--endpoint-url", endpoint, "--output", "json"],
                           capture_output=True, text=True, env=environ or env, timeout=60)
        if expect_ok and r.returncode != 0:
            check(False, "aws ecs " + " ".join(args) + ": " + r.stderr.strip())
            return {}
        if not expect_ok:
            return r
        return json.loads(r.stdout) if r.stdout.strip() else {}

    try:
        import urllib.request
        wait_for(lambda: urllib.request.urlopen(endpoint + "/readyz").status == 200, 10,
                 "gantryd ready")
        zones = ["us-east-1a", "us-east-1b", "us-east-1c"]
        types = ["t2.small", "t2.medium", "g2.2xlarge"]
        for i in range(3):
            procs.append(subprocess.Popen(
                [os.path.join(BIN, "gantry-agent"), "--server", f"127.0.0.1:{grpc_port}",
                 "--cluster", "ecs-demo", "--state-dir", os.path.join(work, f"agent{i}"),
                 "--token-file", agent_token,
                 "--attribute", f"ecs.availability-zone={zones[i]}",
                 "--attribute", f"ecs.instance-type={types[i]}",
                 "--attribute", "ecs.ami-id=ami-eca289fb",
                 "--cpu", "4096", "--memory", "4096"],
                stdout=log(f"agent{i}"), stderr=subprocess.STDOUT))

        def instances(*extra):
            return aws("list-container-instances", "--cluster", "ecs-demo", *extra).get(
                "containerInstanceArns", [])

        wait_for(lambda: len(instances()) == 3, 20, "three agents registered")
        arns = instances()
        check(all(a.startswith("arn:aws:ecs:us-east-1:123456789000:container-instance/ecs-demo/")
                  for a in arns), "container instance ARNs: " + (arns[0] if arns else ""))
        described = aws("describe-container-instances", "--cluster", "ecs-demo",
                        "--container-instances", *arns)
        zone_of, type_of = {}, {}
        for ci in described.get("containerInstances", []):
            attrs = {a["name"]: a.get("value") for a in ci["attributes"]}
            zone_of[ci["containerInstanceArn"]] = attrs.get("ecs.availability-zone")
            type_of[ci["containerInstanceArn"]] = attrs.get("ecs.instance-type")
            check(attrs.get("ecs.os-type") == "linux", "built-in attribute ecs.os-type")

        # The talk's filters.
        filters = [
            ("attribute:ecs.instance-type matches t2.*", 2),
            ("attribute:ecs.availability-zone matches us-east-1.*", 3),
            ("attribute:ecs.availability-zone == us-east-1a", 1),
            ("attribute:ecs.availability-zone != us-east-1a", 2),
            ("attribute:ecs.instance-type matches t2.* and "
             "attribute:ecs.availability-zone == us-east-1a", 1),
            ("(attribute:ecs.instance-type in [t2.small, t2.medium] or "
             "attribute:ecs.instance-type matches g2.*) and "
             "attribute:ecs.availability-zone != us-east-1d", 3),
            ("attribute:ecs.ami-id == ami-eca289fb", 3),
        ]
        for expr, want in filters:
            got = instances("--filter", expr)
            check(len(got) == want, f'--filter "{expr}": {len(got)} instances (want {want})')
        bad = aws("list-container-instances", "--cluster", "ecs-demo", "--filter",
                  "attribute:ecs.instance-type ==", expect_ok=False)
        check(bad.returncode != 0 and "InvalidParameterException" in bad.stderr,
              "a bad filter is an InvalidParameterException: " + bad.stderr.strip())

        td = aws("register-task-definition", "--family", "myapp", "--container-definitions",
                 json.dumps([{"name": "app", "command": ["sleep", "600"], "memory": 64,
                              "cpu": 64, "essential": True}]))
        check(td.get("taskDefinition", {}).get("revision") == 1, "register-task-definition myapp:1")

        # On a fresh cluster, as in the talk: spread counts the group's tasks already placed.
        run = aws("run-task", "--cluster", "ecs-demo", "--task-definition", "myapp", "--count",
                  "9", "--placement-strategy",
                  'type="spread",field="attribute:ecs.availability-zone"',
                  'type="binpack",field="memory"')
        per_zone = {}
        for t in run.get("tasks", []):
            per_zone[zone_of[t["containerInstanceArn"]]] = per_zone.get(
                zone_of[t["containerInstanceArn"]], 0) + 1
        check(per_zone == {"us-east-1a": 3, "us-east-1b": 3, "us-east-1c": 3},
              f"run-task --count 9 spread(zone) then binpack(memory): {per_zone}")
        task_arns = [t["taskArn"] for t in run.get("tasks", [])]
        run = aws("run-task", "--cluster", "ecs-demo", "--task-definition", "myapp", "--count",
                  "5", "--placement-constraints",
                  'type="memberOf",expression="attribute:ecs.instance-type == g2.2xlarge"')
        placed = [t["containerInstanceArn"] for t in run.get("tasks", [])]
        check(len(placed) == 5 and all(type_of[a] == "g2.2xlarge" for a in placed),
              "run-task --count 5 memberOf g2.2xlarge: all on the g2 instance")
        run = aws("run-task", "--cluster", "ecs-demo", "--task-definition", "myapp", "--count",
                  "5", "--placement-constraints",
                  'type="memberOf",expression="(attribute:ecs.instance-type == t2.small or '
                  'attribute:ecs.instance-type == t2.medium) and '
                  'attribute:ecs.availability-zone != us-east-1d"')
        placed = [t["containerInstanceArn"] for t in run.get("tasks", [])]
        check(len(placed) == 5 and all(type_of[a] in ("t2.small", "t2.medium") for a in placed),
              "run-task memberOf t2 instances not in us-east-1d")

        def statuses():
            d = aws("describe-tasks", "--cluster", "ecs-demo", "--tasks", *task_arns)
            return {t["taskArn"]: t["lastStatus"] for t in d.get("tasks", [])}

        wait_for(lambda: set(statuses().values()) == {"RUNNING"}, 20, "all 9 tasks RUNNING")
        listed = aws("list-tasks", "--cluster", "ecs-demo").get("taskArns", [])
        check(len(listed) == 19, f"list-tasks: {len(listed)} running (want 19)")

        stopped = aws("stop-task", "--cluster", "ecs-demo", "--task", task_arns[0], "--reason",
                      "talk demo")
        check(stopped.get("task", {}).get("desiredStatus") == "STOPPED", "stop-task")
        wait_for(lambda: statuses()[task_arns[0]] == "STOPPED", 15, "stopped task is STOPPED")
        d = aws("describe-tasks", "--cluster", "ecs-demo", "--tasks", task_arns[0])
        t = d.get("tasks", [{}])[0]
        check(t.get("stoppedReason") == "talk demo", "describe-tasks stoppedReason")
        check(t.get("containers", [{}])[0].get("exitCode") == 143, "describe-tasks exitCode 143")
        missing = aws("describe-tasks", "--cluster", "ecs-demo", "--tasks", "nope")
        check(missing.get("failures", [{}])[0].get("reason") == "MISSING",
              "describe-tasks of an unknown task: failure MISSING")

        # Services. The talk's command verbatim: one g2.2xlarge here, so distinctInstance
        # places one of the three and the service says why the others wait.
        created = aws("create-service", "--service-name", "myapp-gpu", "--cluster", "ecs-demo",
                      "--task-definition", "myapp", "--desired-count", "3",
                      "--placement-constraints",
                      'type="memberOf",expression="attribute:ecs.instance-type =~ g2.*"',
                      'type="distinctInstance"')
        svc = created.get("service", {})
        check(svc.get("serviceArn") == "arn:aws:ecs:us-east-1:123456789000:service/ecs-demo/myapp-gpu"
              and svc.get("status") == "ACTIVE" and svc.get("desiredCount") == 3,
              "create-service myapp-gpu (the talk's command)")

        def service(name):
            got = aws("describe-services", "--cluster", "ecs-demo", "--services", name)
            return (got.get("services") or [{}])[0]

        def unplaced_event():
            return any("was unable to place a task because no container instance met all of its "
                       "requirements" in e.get("message", "")
                       for e in service("myapp-gpu").get("events", []))
        wait_for(lambda: service("myapp-gpu").get("runningCount") == 1 and unplaced_event(), 30,
                 "myapp-gpu: one task RUNNING on the one g2, an event for the two that wait")
        gpu_tasks = aws("list-tasks", "--cluster", "ecs-demo", "--service-name", "myapp-gpu")
        placed = aws("describe-tasks", "--cluster", "ecs-demo", "--tasks",
                     *gpu_tasks.get("taskArns", ["none"])).get("tasks", [])
        check(len(placed) == 1 and type_of.get(placed[0].get("containerInstanceArn")) == "g2.2xlarge",
              "myapp-gpu's task is on the g2.2xlarge")
        aws("update-service", "--cluster", "ecs-demo", "--service", "myapp-gpu",
            "--desired-count", "1")

        created = aws("create-service", "--service-name", "web", "--cluster", "ecs-demo",
                      "--task-definition", "myapp", "--desired-count", "3",
                      "--deployment-configuration",
                      "maximumPercent=200,minimumHealthyPercent=50,"
                      "deploymentCircuitBreaker={enable=true,rollback=true}")
        check(created.get("service", {}).get("deploymentConfiguration", {})
              .get("deploymentCircuitBreaker") == {"enable": True, "rollback": True},
              "create-service web with a circuit breaker")
        waited = subprocess.run(["aws", "ecs", "wait", "services-stable", "--cluster", "ecs-demo",
                                 "--services", "web", "myapp-gpu", "--endpoint-url", endpoint],
                                capture_output=True, text=True, env=env, timeout=300)
        check(waited.returncode == 0, "aws ecs wait services-stable: " + waited.stderr.strip())
        web = service("web")
        check(web.get("runningCount") == 3 and len(web.get("deployments", [])) == 1
              and web["deployments"][0].get("rolloutState") == "COMPLETED",
              "web: 3 running, one COMPLETED deployment")
        first = (web.get("deployments") or [{}])[0].get("id")
        zones_used = {zone_of.get(t.get("containerInstanceArn")) for t in aws(
            "describe-tasks", "--cluster", "ecs-demo", "--tasks",
            *aws("list-tasks", "--cluster", "ecs-demo", "--service-name", "web")
            .get("taskArns", ["none"])).get("tasks", [])}
        check(len(zones_used) == 3, f"web's tasks spread over the three zones: {zones_used}")
        listed = aws("list-services", "--cluster", "ecs-demo").get("serviceArns", [])
        check(sorted(a.rsplit("/", 1)[1] for a in listed) == ["myapp-gpu", "web"],
              "list-services: myapp-gpu and web")
        aws("update-service", "--cluster", "ecs-demo", "--service", "web",
            "--force-new-deployment")
        waited = subprocess.run(["aws", "ecs", "wait", "services-stable", "--cluster", "ecs-demo",
                                 "--services", "web", "--endpoint-url", endpoint],
                                capture_output=True, text=True, env=env, timeout=300)
        web = service("web")
        check(waited.returncode == 0 and web.get("deployments", [{}])[0].get("id") != first,
              "update-service --force-new-deployment rolls a new deployment to stable")
        # DAEMON: one task on every instance (a daemon Environment).
        daemon = aws("create-service", "--cluster", "ecs-demo", "--service-name", "logs",
                     "--task-definition", "myapp", "--scheduling-strategy", "DAEMON")
        check(daemon.get("service", {}).get("schedulingStrategy") == "DAEMON",
              "create-service --scheduling-strategy DAEMON")
        waited = subprocess.run(["aws", "ecs", "wait", "services-stable", "--cluster", "ecs-demo",
                                 "--services", "logs", "--endpoint-url", endpoint],
                                capture_output=True, text=True, env=env, timeout=300)
        logs = service("logs")
        check(waited.returncode == 0 and logs.get("desiredCount") == 3
              and logs.get("runningCount") == 3,
              "the DAEMON service runs one task on each of the three instances: "
              f"desired {logs.get('desiredCount')}, running {logs.get('runningCount')}")
        daemon_hosts = {t.get("containerInstanceArn") for t in aws(
            "describe-tasks", "--cluster", "ecs-demo", "--tasks",
            *aws("list-tasks", "--cluster", "ecs-demo", "--service-name", "logs")
            .get("taskArns", ["none"])).get("tasks", [])}
        check(len(daemon_hosts) == 3, f"list-tasks --service-name logs: one task on each of "
              f"{len(daemon_hosts)} instances")
        gone = aws("delete-service", "--cluster", "ecs-demo", "--service", "logs")
        check(gone.get("service", {}).get("status") == "DRAINING",
              "delete-service of the DAEMON service: DRAINING")

        busy = aws("delete-service", "--cluster", "ecs-demo", "--service", "web",
                   expect_ok=False)
        check(busy.returncode != 0 and "InvalidParameterException" in busy.stderr,
              "delete-service while scaled above 0 is refused")
        for name in ("web", "myapp-gpu"):
            gone = aws("delete-service", "--cluster", "ecs-demo", "--service", name, "--force")
            check(gone.get("service", {}).get("status") == "DRAINING",
                  f"delete-service --force {name}: DRAINING")
        wait_for(lambda: not aws("list-tasks", "--cluster", "ecs-demo", "--service-name", "web")
                 .get("taskArns"), 30, "a deleted service's tasks stop")

        # Signatures are checked.
        wrong = aws("list-clusters", expect_ok=False,
                    environ=dict(env, AWS_SECRET_ACCESS_KEY="not-the-secret"))
        check(wrong.returncode != 0 and "InvalidSignatureException" in wrong.stderr,
              "wrong secret: InvalidSignatureException")
        unknown = aws("list-clusters", expect_ok=False,
                      environ=dict(env, AWS_ACCESS_KEY_ID="AKIDUNKNOWN"))
        check(unknown.returncode != 0 and "UnrecognizedClientException" in unknown.stderr,
              "unknown key: UnrecognizedClientException")
        nocluster = aws("list-tasks", "--cluster", "nope", expect_ok=False)
        check(nocluster.returncode != 0 and "ClusterNotFoundException" in nocluster.stderr,
              "unknown cluster: ClusterNotFoundException")

        # Deregistration: refused while tasks run, forced stops them; the instance is INACTIVE.
        g2 = [a for a in arns if type_of[a] == "g2.2xlarge"][0]
        busy = aws("deregister-container-instance", "--cluster", "ecs-demo",
                   "--container-instance", g2, expect_ok=False)
        check(busy.returncode != 0 and "ClientException" in busy.stderr,
              "deregister-container-instance with tasks and no --force: ClientException")
        gone = aws("deregister-container-instance", "--cluster", "ecs-demo",
                   "--container-instance", g2, "--force")
        check(gone.get("containerInstance", {}).get("status") == "INACTIVE",
              "deregister-container-instance --force: INACTIVE")
        check(len(instances()) == 2, "a deregistered instance is not listed")
        check(len(instances("--status", "ACTIVE")) == 2, "--status ACTIVE lists the other two")

        # Leave nothing running.
        for arn in aws("list-tasks", "--cluster", "ecs-demo").get("taskArns", []):
            aws("stop-task", "--cluster", "ecs-demo", "--task", arn)
        wait_for(lambda: not aws("list-tasks", "--cluster", "ecs-demo").get("taskArns"), 20,
                 "every task stopped")
        time.sleep(1)  # the agents report the last STOPPED states
    finally:
        stop_processes(procs)
        if FAILURES:
            for name in sorted(os.listdir(work)):
                if name.endswith(".log"):
                    print(f"---- {name} (last lines)")
                    with open(os.path.join(work, name)) as f:
                        print("".join(f.readlines()[-15:]))
        shutil.rmtree(work, ignore_errors=True)
    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
