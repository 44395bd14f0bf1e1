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
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fleet_bench import Gantryd, pct  # noqa: E402  (the same gantryd harness)

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/bin"
CLUSTER = "svc"


class TaskWatch:
    """Every task's first sight and first RUNNING, by its service (group service:NAME)."""

    def __init__(self, g):
        self.added, self.running = {}, {}  # task -> (service, perf_counter)
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)
        ready = threading.Event()

        def run():
            c = http.client.HTTPConnection("127.0.0.1", g.port, timeout=600)
            c.request("GET", "/apis/gantry.dev/v1/tasks?watch=1")
            r = c.getresponse()
            ready.set()
            while True:
                line = r.readline()
                if not line:
                    return
                now = time.perf_counter()
                o = json.loads(line).get("object", {})
                group = o.get("spec", {}).get("group", "")
                if not group.startswith("service:"):
                    continue
                name, service = o["metadata"]["name"], group[len("service:"):]
                with self.lock:
                    self.added.setdefault(name, (service, now))
                    if o.get("status", {}).get("lastStatus") == "RUNNING":
                        self.running.setdefault(name, (service, now))
                    self.changed.notify_all()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(5)
        time.sleep(0.2)

    def wait(self, cond, timeout):
        deadline = time.perf_counter() + timeout
        with self.lock:
            while not cond():
                left = deadline - time.perf_counter()
                if left <= 0:
                    return False
                self.changed.wait(left)
        return True

    def of(self, table, service, after=0.0):
        return [t for s, t in table.values() if s == service and t >= after]


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
        watch = TaskWatch(g)

        # 1. 0 -> 1,000.
        start = time.perf_counter()
        g.ecs("CreateService", {"cluster": CLUSTER, "serviceName": "web", "taskDefinition": "web",
                                "desiredCount": 1000})
        watch.wait(lambda: len(watch.of(watch.running, "web")) >= 1000, 60)
        added, running = watch.of(watch.added, "web"), watch.of(watch.running, "web")
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
        new_running = watch.of(watch.running, "web", after=start)
        print("Rolling deployment of 1,000 tasks (maximumPercent 200, minimumHealthyPercent 100): "
              + (f"complete after {done:.2f} s" if done else "not complete after 120 s")
              + f" ({len(new_running)} new tasks RUNNING)", flush=True)
        g.ecs("UpdateService", {"cluster": CLUSTER, "service": "web", "desiredCount": 0})

        # 3. 50 services changing at once.
        names = [f"s{i:02d}" for i in range(50)]
        for n in names:
            g.ecs("CreateService", {"cluster": CLUSTER, "serviceName": n, "taskDefinition": "web",
                                    "desiredCount": 2})
        watch.wait(lambda: all(len(watch.of(watch.running, n)) >= 2 for n in names), 60)
        time.sleep(1)
        called = {}

        def update(n):
            conn = http.client.HTTPConnection("127.0.0.1", g.port, timeout=30)
            called[n] = time.perf_counter()
            g.ecs("UpdateService", {"cluster": CLUSTER, "service": n, "desiredCount": 3}, conn)

        with ThreadPoolExecutor(50) as pool:  # all 50 at once (each call waits for the controller)
            list(pool.map(update, names))
        watch.wait(lambda: all(watch.of(watch.added, n, called[n]) for n in names), 30)
        latencies = [(min(watch.of(watch.added, n, called[n])) - called[n]) * 1000
                     for n in names if watch.of(watch.added, n, called[n])]
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
