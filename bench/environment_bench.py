#!/usr/bin/env python3
"""Daemon Environment benchmarks for docs/benchmarks.md (run by `make bench`; issue 11's targets).

gantryd and simulated agents (`gantry-agent --simulate N`, whose tasks go RUNNING as soon as
their instance hears of them), driven through the ECS endpoint (a DAEMON service is an
Environment); a watch on tasks timestamps every daemon task's RUNNING and a watch on container
instances every instance's registration.

1. An Environment over 1,000 instances: from CreateService (DAEMON) to every instance running
   its task (target <= 3 s); then over 5,000 (target <= 10 s).
2. A new revision over the 1,000 instances with drainPercent 25: until all run it (target
   <= 10 s).
3. 50 instances registering while the 1,000-instance Environment runs: from each instance's
   registration to its daemon task RUNNING, p50 and p99 (target p99 <= 1 s).

usage: environment_bench.py BIN_DIR
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fleet_bench import Gantryd, Watch, pct  # noqa: E402  (the same gantryd harness)

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/bin"


def daemon_running(o):
    """The instance a RUNNING daemon task of `logs` is on."""
    if o.get("spec", {}).get("group") != "environment:logs":
        return None
    if o.get("status", {}).get("lastStatus") != "RUNNING":
        return None
    return [o["spec"].get("containerInstance")]


def sim(g, work, cluster, n, name):
    return subprocess.Popen(
        [os.path.join(BIN, "gantry-agent"), "--server", f"127.0.0.1:{g.grpc}", "--cluster",
         cluster, "--state-dir", os.path.join(work, name), "--simulate", str(n)],
        stderr=open(os.path.join(work, name + ".log"), "w"))


def instances(g, cluster):
    page, token, count = {"cluster": cluster, "maxResults": 100}, None, 0
    while True:
        if token:
            page["nextToken"] = token
        try:
            r = g.ecs("ListContainerInstances", page)
        except RuntimeError:  # the cluster is made by the first registration
            return 0
        count += len(r["containerInstanceArns"])
        token = r.get("nextToken")
        if not token:
            return count


def cover(n):
    work = tempfile.mkdtemp(prefix="gantry-env-bench-")
    g = Gantryd(work)
    agents = [sim(g, work, "fleet", n, "sim")]
    try:
        deadline = time.time() + 120
        while time.time() < deadline and instances(g, "fleet") < n:
            time.sleep(0.2)
        g.ecs("RegisterTaskDefinition", {"family": "logagent", "containerDefinitions": [
            {"name": "agent", "command": ["sleep", "600"], "memory": 16, "cpu": 1}]})
        tasks = Watch(g, "tasks", daemon_running)
        start = time.perf_counter()
        g.ecs("CreateService", {"cluster": "fleet", "serviceName": "logs",
                                "taskDefinition": "logagent", "schedulingStrategy": "DAEMON"})
        covered = tasks.wait(lambda: len(tasks.seen) >= n, 120)
        last = max(tasks.seen.values()) - start if tasks.seen else float("nan")
        print(f"Environment over {n:,} simulated instances: {len(tasks.seen):,} covered, the last "
              f"after {last:.2f} s" + ("" if covered else " (not all within 120 s)"), flush=True)
        if n > 1000:
            return
        # A new revision over the 1,000, drainPercent 25 (minimumHealthyPercent 75).
        g.ecs("UpdateService", {"cluster": "fleet", "service": "logs",
                                "deploymentConfiguration": {"minimumHealthyPercent": 75}})
        rolled = Watch(g, "tasks", lambda o: daemon_running(o) if o.get("spec", {}).get(
            "taskDefinition") == "logagent:2" else None)
        start = time.perf_counter()
        g.ecs("RegisterTaskDefinition", {"family": "logagent", "containerDefinitions": [
            {"name": "agent", "command": ["sleep", "601"], "memory": 16, "cpu": 1}]})
        done = rolled.wait(lambda: len(rolled.seen) >= n, 120)
        last = max(rolled.seen.values()) - start if rolled.seen else float("nan")
        print(f"Deployment of a new revision over {n:,} instances, drainPercent 25: "
              f"{len(rolled.seen):,} running it, the last after {last:.2f} s" +
              ("" if done else " (not all within 120 s)"), flush=True)
        # New instances while it runs.
        joined = Watch(g, "containerinstances",
                       lambda o: [o["metadata"]["name"]] if o.get("spec", {}).get("cluster") ==
                       "fleet" else None)
        before = set(joined.seen)
        agents.append(sim(g, work, "fleet", 50, "late"))
        joined.wait(lambda: len(set(joined.seen) - before) >= 50, 60)
        new = set(joined.seen) - before
        tasks.wait(lambda: all(i in tasks.seen for i in new), 60)
        latencies = [(tasks.seen[i] - joined.seen[i]) * 1000 for i in new if i in tasks.seen]
        print(f"A newly registered instance runs its daemon task ({len(latencies)} of {len(new)} "
              f"new instances): p50 {pct(latencies, 50):.0f} ms, p99 {pct(latencies, 99):.0f} ms, "
              f"max {max(latencies):.0f} ms", flush=True)
    finally:
        for a in agents:
            a.send_signal(signal.SIGTERM)
        for a in agents:
            a.wait(timeout=30)
        g.stop()
        shutil.rmtree(work, ignore_errors=True)


def main():
    cover(1000)
    cover(5000)


if __name__ == "__main__":
    main()
