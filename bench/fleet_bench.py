#!/usr/bin/env python3
"""Fleet benchmarks for docs/benchmarks.md (run by `make bench`).

1. RunTask to RUNNING on a real agent: RunTask through the ECS endpoint, one task at a time, and
   the moment the task's watch event says RUNNING; p50 and p99 over N tasks (target p99 <= 250 ms).
2. 5,000 simulated instances (one gantry-agent --simulate 5000): time until all are registered,
   and gantryd's CPU while they heartbeat (target <= 25 % of one core), with its RSS.
3. RunTask through the ECS endpoint with 16 concurrent clients on that fleet: calls/s, p50, p99
   (Python clients, then bench/api_load's C++ keep-alive clients when built).
4. Agent reports: 10,000 task state changes from the simulated fleet: store revisions per report
   (target <= 1.1) and gantryd CPU per 1,000 reports.

usage: fleet_bench.py BIN_DIR [--tasks N] [--seconds S]
"""
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else "build/bin"
TASKS = int(sys.argv[sys.argv.index("--tasks") + 1]) if "--tasks" in sys.argv else 200
SECONDS = int(sys.argv[sys.argv.index("--seconds") + 1]) if "--seconds" in sys.argv else 20
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gantryd:
    def __init__(self, work):
        self.port, self.grpc = free_port(), free_port()
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "gantryd"), "--data-dir", os.path.join(work, "data"),
             "--listen", f"127.0.0.1:{self.port}", "--grpc-listen", f"127.0.0.1:{self.grpc}"],
            stderr=open(os.path.join(work, "gantryd.log"), "w"))
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit("gantryd did not start")

    def ecs(self, op, body, conn=None):
        c = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        c.request("POST", "/", json.dumps(body), {
            "X-Amz-Target": "AmazonEC2ContainerServiceV20141113." + op,
            "Content-Type": "application/x-amz-json-1.1"})
        r = c.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError(f"{op}: {r.status} {data[:300]}")
        return json.loads(data)

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICK

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0

    def store_revision(self):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        c.request("GET", "/metrics")
        for line in c.getresponse().read().decode().splitlines():
            if line.startswith("gantry_store_revision "):
                return int(float(line.split()[1]))
        raise RuntimeError("/metrics has no gantry_store_revision")

    def running_tasks(self, cluster):
        r = self.ecs("DescribeClusters", {"clusters": [cluster]})
        return r["clusters"][0]["runningTasksCount"]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=20)


class Watch:
    """When each key was first seen on a watch of one kind: `keys(object)` names the keys an
    event shows (an iterable, or None for none), e.g. a task's instance once it is RUNNING."""

    def __init__(self, g, plural, keys):
        self.seen = {}
        self.lock = threading.Lock()
        ready = threading.Event()

        def run():
            c = http.client.HTTPConnection("127.0.0.1", g.port, timeout=900)
            c.request("GET", f"/apis/gantry.dev/v1/{plural}?watch=1")
            r = c.getresponse()
            ready.set()
            while True:
                line = r.readline()
                if not line:
                    return
                now = time.perf_counter()
                o = json.loads(line).get("object", {})
                shown = keys(o)
                if not shown:
                    continue
                with self.lock:
                    for key in shown:
                        self.seen.setdefault(key, now)

        threading.Thread(target=run, daemon=True).start()
        ready.wait(5)
        time.sleep(0.2)

    def wait(self, cond, timeout):
        """Until `cond()` holds, looked at every 20 ms: the times are the watch thread's, taken
        as events arrive, so checking more often would only take the interpreter from it."""
        deadline = time.perf_counter() + timeout
        while True:
            with self.lock:
                if cond():
                    return True
            if time.perf_counter() >= deadline:
                return False
            time.sleep(0.02)


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_to_running(g, work):
    agent = subprocess.Popen(
        [os.path.join(BIN, "gantry-agent"), "--server", f"127.0.0.1:{g.grpc}", "--cluster",
         "real", "--state-dir", os.path.join(work, "agent"), "--memory", "16384"],
        stderr=open(os.path.join(work, "agent.log"), "w"))
    try:
        deadline = time.time() + 15
        while time.time() < deadline:
            try:
                if g.ecs("ListContainerInstances", {"cluster": "real"})["containerInstanceArns"]:
                    break
            except RuntimeError:
                pass
            time.sleep(0.1)
        g.ecs("RegisterTaskDefinition", {"family": "bench", "containerDefinitions": [
            {"name": "app", "command": ["sleep", "600"], "memory": 16, "cpu": 1}]})
        running_at = {}
        seen = threading.Event()
        ready = threading.Event()

        def watch():
            c = http.client.HTTPConnection("127.0.0.1", g.port, timeout=60)
            c.request("GET", "/apis/gantry.dev/v1/tasks?watch=1")
            r = c.getresponse()
            ready.set()
            while len(running_at) < TASKS:
                line = r.readline()
                if not line:
                    return
                e = json.loads(line)
                o = e.get("object", {})
                if o.get("status", {}).get("lastStatus") == "RUNNING":
                    running_at.setdefault(o["metadata"]["name"], time.perf_counter())
                    seen.set()

        t = threading.Thread(target=watch, daemon=True)
        t.start()
        ready.wait(5)
        time.sleep(0.2)
        latencies, conn = [], http.client.HTTPConnection("127.0.0.1", g.port, timeout=30)
        arns = []
        for _ in range(TASKS):
            start = time.perf_counter()
            run = g.ecs("RunTask", {"cluster": "real", "taskDefinition": "bench"}, conn)
            arn = run["tasks"][0]["taskArn"]
            arns.append(arn)
            task = arn.rsplit("/", 1)[1]
            deadline = time.time() + 10
            while task not in running_at and time.time() < deadline:
                seen.wait(0.05)
                seen.clear()
            if task in running_at:
                latencies.append((running_at[task] - start) * 1000)
        for arn in arns:
            g.ecs("StopTask", {"cluster": "real", "task": arn}, conn)
        print(f"RunTask -> RUNNING on a real agent, {len(latencies)} tasks one at a time: "
              f"p50 {pct(latencies, 50):.1f} ms, p99 {pct(latencies, 99):.1f} ms, "
              f"max {max(latencies):.1f} ms", flush=True)
        deadline = time.time() + 30
        while time.time() < deadline and g.ecs("ListTasks", {"cluster": "real"})["taskArns"]:
            time.sleep(0.2)
        time.sleep(1)
    finally:
        agent.send_signal(signal.SIGTERM)
        agent.wait(timeout=20)


def simulated_fleet(g, work):
    start = time.perf_counter()
    sim = subprocess.Popen(
        [os.path.join(BIN, "gantry-agent"), "--server", f"127.0.0.1:{g.grpc}", "--cluster",
         "sim", "--state-dir", os.path.join(work, "sim"), "--simulate", "5000",
         "--simulate-zones", "us-east-1a,us-east-1b,us-east-1c",
         "--simulate-types", "t2.small,t2.medium,m5.large"],
        stderr=open(os.path.join(work, "sim.log"), "w"))
    count = 0
    while time.perf_counter() - start < 120:
        try:
            page, token, count = {"cluster": "sim", "maxResults": 100}, None, 0
            while True:
                if token:
                    page["nextToken"] = token
                r = g.ecs("ListContainerInstances", page)
                count += len(r["containerInstanceArns"])
                token = r.get("nextToken")
                if not token:
                    break
            if count >= 5000:
                break
        except RuntimeError:
            pass
        time.sleep(0.2)
    registered = time.perf_counter() - start
    print(f"5,000 simulated instances: all registered after {registered:.2f} s "
          f"(including the agent's start; {count} listed)", flush=True)
    time.sleep(6)  # one heartbeat round before measuring
    c0, t0 = g.cpu_seconds(), time.perf_counter()
    time.sleep(30)
    cpu = (g.cpu_seconds() - c0) / (time.perf_counter() - t0) * 100
    print(f"gantryd CPU while 5,000 instances heartbeat every 5 s: {cpu:.1f} % of one core "
          f"over 30 s; RSS {g.rss_mib():.0f} MiB", flush=True)
    return sim


def runtask_throughput(g):
    g.ecs("RegisterTaskDefinition", {"family": "tput", "containerDefinitions": [
        {"name": "app", "command": ["sleep", "600"], "memory": 1, "cpu": 1}]})
    latencies, errors, unplaced, stop = [], [0], [0], time.time() + SECONDS
    lock = threading.Lock()

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", g.port, timeout=30)
        mine = []
        while time.time() < stop:
            t = time.perf_counter()
            try:
                r = g.ecs("RunTask", {"cluster": "sim", "taskDefinition": "tput"}, conn)
                if r["tasks"]:
                    mine.append((time.perf_counter() - t) * 1000)
                else:  # only failures: fast, and no launch
                    errors[0] += 1
                    unplaced[0] += 1
            except Exception:
                errors[0] += 1
                conn = http.client.HTTPConnection("127.0.0.1", g.port, timeout=30)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(16)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    print(f"RunTask via the ECS endpoint, 16 clients, {SECONDS} s on the 5,000-instance fleet: "
          f"{len(latencies) / elapsed:.0f} calls/s placing a task, p50 {pct(latencies, 50):.1f} ms, "
          f"p99 {pct(latencies, 99):.1f} ms, {errors[0]} errors ({unplaced[0]} of them "
          f"answered without a task)", flush=True)
    # The same calls from a C++ client on keep-alive connections: Python's 16 threads share one
    # interpreter lock and one of the two cores with gantryd, so they measure the client too.
    load = os.path.join(BIN, "..", "bench", "api_load")
    if os.path.exists(load):
        subprocess.run([load, "runtask", f"127.0.0.1:{g.port}", "16", str(SECONDS), "sim", "tput"],
                       check=False)
        sys.stdout.flush()


def settle(g, quiet=2.0, limit=60):
    """Waits until the store revision has not moved for `quiet` seconds; returns it."""
    last, since, deadline = g.store_revision(), time.time(), time.time() + limit
    while time.time() < deadline:
        time.sleep(0.25)
        now = g.store_revision()
        if now != last:
            last, since = now, time.time()
        elif time.time() - since >= quiet:
            break
    return last


def report_revisions(g, sim, reports=10000):
    """Store revisions and gantryd CPU per agent state report: the simulated fleet is paused
    (SIGSTOP) while `reports` tasks are launched, so every PENDING -> RUNNING report of them
    arrives after the launches are written; the window then holds the reports, the events they
    make, the event stream's cursor and the fleet's heartbeats."""
    settle(g)  # the earlier phases' reports are in, and the cluster's counts say so
    os.kill(sim.pid, signal.SIGSTOP)
    try:
        running0 = g.running_tasks("sim")
        calls = reports // 10

        def client(n):
            conn = http.client.HTTPConnection("127.0.0.1", g.port, timeout=30)
            for _ in range(n):
                r = g.ecs("RunTask", {"cluster": "sim", "taskDefinition": "tput", "count": 10}, conn)
                if r.get("failures"):
                    raise RuntimeError(f"RunTask failed: {r['failures'][:2]}")

        threads = [threading.Thread(target=client, args=(calls // 16 + (i < calls % 16),))
                   for i in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rev0 = settle(g)
        cpu0 = g.cpu_seconds()
    finally:
        os.kill(sim.pid, signal.SIGCONT)
    start = time.perf_counter()
    while g.running_tasks("sim") < running0 + reports and time.perf_counter() - start < 120:
        time.sleep(0.1)
    cpu = g.cpu_seconds() - cpu0  # heartbeats of the window included
    running = g.running_tasks("sim") - running0
    elapsed = time.perf_counter() - start
    rev1 = settle(g)
    print(f"Agent reports: {running:,} PENDING->RUNNING reports from 5,000 simulated instances in "
          f"{elapsed:.1f} s: {(rev1 - rev0) / max(running, 1):.3f} store revisions per report "
          f"({rev1 - rev0} revisions, events and cursor included); gantryd CPU "
          f"{cpu / max(running, 1) * 1000:.3f} s per 1,000 reports", flush=True)


def main():
    work = tempfile.mkdtemp(prefix="gantry-fleet-bench-")
    g = Gantryd(work)
    sim = None
    try:
        run_to_running(g, work)
        sim = simulated_fleet(g, work)
        runtask_throughput(g)
        report_revisions(g, sim)
    finally:
        if sim:
            sim.send_signal(signal.SIGTERM)
            sim.wait(timeout=20)
        g.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
