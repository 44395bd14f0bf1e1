#!/usr/bin/env python3
"""`make run` end to end: scripts/run.sh on loopback ports picked at run time and a temporary
data directory. It must converge (the Service and the Environment Ready, what runs where printed
per zone), stop everything it started on Ctrl-C (SIGINT) — tasks included, no process left
behind — and resume on the same data when run again.

usage: make_run_test.py BIN_DIR
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import shutil

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/bin")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAILURES = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_using(data):
    """Processes whose command line, working directory or executable points into `data`, or
    whose title is a shim's (gantry-shim TASK CONTAINER) for a task directory under `data`."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            continue
        if data in cmdline or cwd.startswith(data):
            found.append(f"{pid}: {cmdline.replace(chr(0), ' ').strip()} (cwd {cwd})")
    return found


def run_once(data, port, grpc_port, expect):
    env = dict(os.environ, GANTRY_DATA=data, GANTRY_LISTEN=f"127.0.0.1:{port}",
               GANTRY_GRPC_LISTEN=f"127.0.0.1:{grpc_port}")
    proc = subprocess.Popen(["bash", os.path.join(ROOT, "scripts/run.sh"), BIN], cwd=ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines = []
    ready = threading.Event()

    def read():
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    ready.wait(180)
    out = "".join(lines)
    check("Press Ctrl-C" in out, f"{expect}: run.sh comes up and says how to stop\n{out}")
    for zone in ("us-east-1a", "us-east-1b", "us-east-1c"):
        check(f"zone {zone}" in out, f"{expect}: what runs where lists zone {zone}")
    check(out.count("service:web (web:1, RUNNING)") == 2, f"{expect}: two web tasks RUNNING")
    check(out.count("environment:logs (logagent:1, RUNNING)") == 3,
          f"{expect}: one logs task RUNNING on each of the three instances")
    check(bool(processes_using(data)), f"{expect}: gantryd, agents and tasks run")
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        check(False, f"{expect}: run.sh ends after Ctrl-C")
    reader.join(5)
    out = "".join(lines)
    check("make run: stopped" in out, f"{expect}: Ctrl-C stops it cleanly\n{out[-2000:]}")
    left = []
    deadline = time.time() + 10
    while time.time() < deadline:
        left = processes_using(data)
        if not left:
            break
        time.sleep(0.2)
    check(not left, f"{expect}: no process left behind: {left}")


def main():
    work = tempfile.mkdtemp(prefix="gantry-make-run-")
    data = os.path.join(work, "data")
    port, grpc_port = free_port(), free_port()
    try:
        run_once(data, port, grpc_port, "first run")
        run_once(data, port, grpc_port, "second run, same data")
    finally:
        for line in processes_using(data):
            try:
                os.kill(int(line.split(":")[0]), signal.SIGKILL)
            except OSError:
                pass
        if FAILURES:
            print("data and logs kept in " + work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"{len(FAILURES)} failures")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
