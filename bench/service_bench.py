#!/usr/bin/env python3
"""Service benchmarks for docs/benchmarks.md (run by `make bench`; issue 10's targets).

gantryd and `gantry-agent --simulate 100` (100 instances in three zones whose tasks go RUNNING
as soon as they are assigned), driven through the ECS endpoint; a watch on tasks timestamps
every task's creation and its RUNNING.

1. CreateService web with desiredCount 1000: time until all 1,000 tasks are committed (target
   <= 1 s) and all RUNNING (target <= 3 s).
2. A new revision of web's family, maximumPercent 200: time until the rolling deployment of
   1,000 tasks is complete (one deployment, COMPLETED; target <= 10 s).
3. 50 services of 2 tasks; UpdateService desiredCount 3 on all 50 at once (50 callers): from
   each call to the first new task of that service committed, p50 and p99 (target p99 <= 100 ms).

usage: service_bench.py BIN_DIR
"""
import http.client
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fleet_bench import Gantryd, Watch, pct  # noqa: E402  (the same gantryd harness)

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/bin"
CLUSTER = "svc"


def task_keys(o):
    """A service task's keys: ("added", service, task), and ("running", …) once RUNNING."""
    group = o.get("spec", {}).get("group", "")
    if not group.startswith("service:"):
        return None
    name, service = o["metadata"]["name"], group[len("service:"):]
    keys = [("added", service, name)]
    if o.get("status", {}).get("lastStatus") == "RUNNING":
        keys.append(("running", service, name))
    return keys


def of(watch, table, service, after=0.0):
    """When each task of `service` was first added / RUNNING, at or after `after`."""
    return [t for (kind, s, _), t in list(watch.seen.items())
            if kind == table and s == service and t >= after]


def describe(g, name):
    return g.ecs("DescribeServices", {"cluster": CLUSTER, "services": [name]})["services"][0]


def register(g, sleep):
    g.ecs("RegisterTaskDefinition", {"family": "web", "containerDefinitions": [
        {"name": "app", "command": ["sleep", str(sleep)], "memory": 16, "cpu": 1}]})


def main():
    work = tempfile.mkdtemp(prefix="gantry-service-bench-")
    g = Gantryd(work)
    sim = subprocess.Popen(
        [os.path.join(BIN, "gantry-agent"), "--server", f"127.0.0.1:{g.grpc}", "--cluster",
         CLUSTER, "--state-dir", os.path.join(work, "sim"), "--simulate", "100",
         "--cpu", "16384", "--memory", "65536"],
        stderr=open(os.path.join(work, "sim.log"), "w"))
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                if len(g.ecs("ListContainerInstances", {"cluster": CLUSTER})
                       ["containerInstanceArns"]) == 100:
                    break
            except RuntimeError:
                pass
            time.sleep(0.1)
        register(g, 600)
        watch = Watch(g, "tasks", task_keys)

        # 1. 0 -> 1,000.
        start = time.perf_counter()
        g.ecs("CreateService", {"cluster": CLUSTER, "serviceName": "web", "taskDefinition": "web",
                                "desiredCount": 1000})
        watch.wait(lambda: len(of(watch, "running", "web")) >= 1000, 60)
        added, running = of(watch, "added", "web"), of(watch, "running", "web")
        print(f"Service 0 -> 1,000 tasks on 100 simulated instances: {len(added)} committed, "
              f"the last after {max(added) - start:.2f} s; {len(running)} RUNNING, the last "
              f"after {max(running) - start:.2f} s", flush=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            d = describe(g, "web")
            if len(d["deployments"]) == 1 and d["deployments"][0]["rolloutState"] == "COMPLETED":
                break
            time.sleep(0.05)

        # 2. Rolling deployment of 1,000 tasks.
        start = time.perf_counter()
        register(g, 601)  # web:2; the service follows its family
        done = None
        deadline = time.time() + 120
        while time.time() < deadline:
            d = describe(g, "web")
            primary = d["deployments"][0]
            if (len(d["deployments"]) == 1 and primary["taskDefinition"].endswith("web:2")
                    and primary["rolloutState"] == "COMPLETED"):
                done = time.perf_counter() - start
                break
            time.sleep(0.05)
        new_running = of(watch, "running", "web", after=start)
        print("Rolling deployment of 1,000 tasks (maximumPercent 200, minimumHealthyPercent 100): "
              + (f"complete after {done:.2f} s" if done else "not complete after 120 s")
              + f" ({len(new_running)} new tasks RUNNING)", flush=True)
        g.ecs("UpdateService", {"cluster": CLUSTER, "service": "web", "desiredCount": 0})

        # 3. 50 services changing at once.
        names = [f"s{i:02d}" for i in range(50)]
        for n in names:
            g.ecs("CreateService", {"cluster": CLUSTER, "serviceName": n, "taskDefinition": "web",
                                    "desiredCount": 2})
        watch.wait(lambda: all(len(of(watch, "running", n)) >= 2 for n in names), 60)
        time.sleep(1)
        called = {}

        def update(n):
            conn = http.client.HTTPConnection("127.0.0.1", g.port, timeout=30)
            called[n] = time.perf_counter()
            g.ecs("UpdateService", {"cluster": CLUSTER, "service": n, "desiredCount": 3}, conn)

        with ThreadPoolExecutor(50) as pool:  # all 50 at once (each call waits for the controller)
            list(pool.map(update, names))
        watch.wait(lambda: all(of(watch, "added", n, called[n]) for n in names), 30)
        latencies = [(min(of(watch, "added", n, called[n])) - called[n]) * 1000
                     for n in names if of(watch, "added", n, called[n])]
        print(f"Spec change -> first placement committed, 50 services changing at once (50 "
              f"callers): {len(latencies)}/50 placed, p50 {pct(latencies, 50):.1f} ms, p99 "
              f"{pct(latencies, 99):.1f} ms, max {max(latencies):.1f} ms", flush=True)
        for n in names + ["web"]:
            g.ecs("DeleteService", {"cluster": CLUSTER, "service": n, "force": True})
    finally:
        sim.send_signal(signal.SIGTERM)
        sim.wait(timeout=20)
        g.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
