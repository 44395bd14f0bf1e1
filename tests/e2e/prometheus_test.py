#!/usr/bin/env python3
"""gantryd's /metrics as a real Prometheus sees it, against the dashboard and the alerts.

Starts gantryd and two gantry-agents on loopback ports picked at run time, a converging replica
Service, a daemon Environment and one RunTask that cannot place, then a real Prometheus (Debian's
`prometheus`) scraping gantryd every second. Checks: the target is up; every metric the Grafana
dashboard and the alerting rules query (scripts/check-dashboard.py --list-metrics) has samples in
Prometheus; `promtool check metrics` accepts a scrape; `promtool check rules` accepts
charts/gantry/alerts.yaml; and the dashboard lint (scripts/check-dashboard.py) passes.

usage: prometheus_test.py BIN_DIR
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

from e2e import ROOT, check, finish, free_port, stop_processes, wait_for

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/bin"
# Debian's python3 has the PyYAML the lint needs (python3-yaml, scripts/install-deps.sh).
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable


def main():
    for tool in ("prometheus", "promtool"):
        if not shutil.which(tool):
            print(f"{tool} not found: scripts/install-deps.sh installs Debian's prometheus")
            return 1
    work = tempfile.mkdtemp(prefix="gantry-prometheus-e2e-")
    port, grpc_port, prom_port = free_port(), free_port(), free_port()
    endpoint = f"http://127.0.0.1:{port}"
    procs = []
    log = lambda name: open(os.path.join(work, name + ".log"), "w")

    def ecs(operation, body):
        request = urllib.request.Request(
            endpoint + "/", data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/x-amz-json-1.1",
                     "X-Amz-Target": "AmazonEC2ContainerServiceV20141113." + operation})
        with urllib.request.urlopen(request, timeout=30) as r:
            return json.loads(r.read() or b"{}")

    def gantryctl(*args):
        return subprocess.run([os.path.join(BIN, "gantryctl"), "--server", endpoint, *args],
                              capture_output=True, text=True, timeout=60)

    def prom_query(expr):
        url = f"http://127.0.0.1:{prom_port}/api/v1/query?" + urllib.parse.urlencode(
            {"query": expr})
        with urllib.request.urlopen(url, timeout=10) as r:
            return json.loads(r.read())["data"]["result"]

    try:
        procs.append(subprocess.Popen(
            [os.path.join(BIN, "gantryd"), "--data-dir", os.path.join(work, "data"),
             "--listen", f"127.0.0.1:{port}", "--grpc-listen", f"127.0.0.1:{grpc_port}"],
            stdout=log("gantryd"), stderr=subprocess.STDOUT))
        wait_for(lambda: urllib.request.urlopen(endpoint + "/readyz").status == 200, 10,
                 "gantryd ready")
        for i, zone in enumerate(["us-east-1a", "us-east-1b"]):
            procs.append(subprocess.Popen(
                [os.path.join(BIN, "gantry-agent"), "--server", f"127.0.0.1:{grpc_port}",
                 "--cluster", "default", "--state-dir", os.path.join(work, f"agent{i}"),
                 "--attribute", f"ecs.availability-zone={zone}",
                 "--attribute", "ecs.instance-type=t2.small",
                 "--cpu", "2048", "--memory", "2048", "--heartbeat-interval", "300ms"],
                stdout=log(f"agent{i}"), stderr=subprocess.STDOUT))
        wait_for(lambda: len(ecs("ListContainerInstances", {"cluster": "default"})
                             ["containerInstanceArns"]) == 2, 20, "two agents registered")
        ecs("RegisterTaskDefinition", {
            "family": "sleeper",
            "containerDefinitions": [{"name": "app", "command": ["/bin/sleep", "1000"],
                                      "memory": 128, "cpu": 128}]})
        manifests = os.path.join(work, "workloads.yaml")
        with open(manifests, "w") as f:
            f.write("""apiVersion: gantry.dev/v1
kind: Service
metadata: {name: web}
spec: {cluster: default, taskDefinition: sleeper, desiredCount: 2}
---
apiVersion: gantry.dev/v1
kind: Environment
metadata: {name: logs}
spec:
  taskDefinition: sleeper
  instanceGroup: {cluster: default}
""")
        applied = gantryctl("apply", "-f", manifests)
        check(applied.returncode == 0, "apply a Service and an Environment: " + applied.stderr)
        waited = gantryctl("wait", "svc", "web", "--for=condition=Ready", "--timeout=30s")
        check(waited.returncode == 0, "the Service converges: " + waited.stderr)
        # A task no instance can hold: a placement failure, counted by reason.
        ecs("RegisterTaskDefinition", {
            "family": "huge",
            "containerDefinitions": [{"name": "app", "command": ["/bin/true"],
                                      "memory": 100000, "cpu": 128}]})
        ran = ecs("RunTask", {"cluster": "default", "taskDefinition": "huge"})
        check(len(ran.get("failures", [])) == 1, "an unplaceable RunTask fails")

        config = os.path.join(work, "prometheus.yml")
        with open(config, "w") as f:
            f.write(f"""global: {{scrape_interval: 1s, evaluation_interval: 1s}}
rule_files: ["{os.path.join(ROOT, 'charts/gantry/alerts.yaml')}"]
scrape_configs:
  - job_name: gantry
    static_configs: [{{targets: ["127.0.0.1:{port}"]}}]
""")
        procs.append(subprocess.Popen(
            ["prometheus", f"--config.file={config}",
             f"--storage.tsdb.path={os.path.join(work, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=log("prometheus"), stderr=subprocess.STDOUT))
        wait_for(lambda: any(s["value"][1] == "1" for s in prom_query('up{job="gantry"}')), 30,
                 "Prometheus scrapes gantryd (up == 1)")

        listed = subprocess.run(
            [PYTHON, os.path.join(ROOT, "scripts/check-dashboard.py"), "--list-metrics"],
            capture_output=True, text=True)
        check(listed.returncode == 0, "check-dashboard.py --list-metrics: " + listed.stderr)
        metrics = [m for m in listed.stdout.split() if m]
        check(len(metrics) > 20, f"the dashboard and alerts query {len(metrics)} metrics")
        # Two scrapes after the workloads settled, so rates have two points.
        time.sleep(3)
        missing = []
        for metric in metrics:
            if not wait_for(lambda: prom_query(f'{{__name__="{metric}"}}'), 10,
                            f"samples of {metric}"):
                missing.append(metric)
        check(not missing, "every metric the dashboard and alerts query has samples" +
              (": missing " + ", ".join(missing) if missing else ""))

        scrape = urllib.request.urlopen(endpoint + "/metrics").read()
        lint = subprocess.run(["promtool", "check", "metrics"], input=scrape,
                              capture_output=True)
        check(lint.returncode == 0, "promtool check metrics: " + lint.stdout.decode() +
              lint.stderr.decode())
        rules = subprocess.run(["promtool", "check", "rules",
                                os.path.join(ROOT, "charts/gantry/alerts.yaml")],
                               capture_output=True, text=True)
        check(rules.returncode == 0, "promtool check rules: " + rules.stdout + rules.stderr)
        dashboard = subprocess.run(
            [PYTHON, os.path.join(ROOT, "scripts/check-dashboard.py")],
            capture_output=True, text=True)
        check(dashboard.returncode == 0, "dashboard lint: " + dashboard.stdout + dashboard.stderr)
    finally:
        gantryctl("delete", "svc", "web")
        gantryctl("delete", "env", "logs")

        def all_stopped():
            arns = ecs("ListTasks", {"cluster": "default", "desiredStatus": "STOPPED"})["taskArns"]
            if not arns:
                return True
            tasks = ecs("DescribeTasks", {"cluster": "default", "tasks": arns})["tasks"]
            return all(t["lastStatus"] == "STOPPED" for t in tasks)

        # The agents end their tasks' processes before they go.
        wait_for(all_stopped, 20, "every task stopped")
        stop_processes(procs)
    return finish(work)


if __name__ == "__main__":
    sys.exit(main())
