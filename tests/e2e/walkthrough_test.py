#!/usr/bin/env python3
"""examples/walkthrough.sh end to end: the talk's scheduling commands against the cluster `make
run` starts (scripts/run.sh on loopback ports picked at run time, a temporary data directory),
once with gantryctl and once with the AWS CLI (Debian's awscli, installed if missing). The
walkthrough checks every outcome itself and exits 1 on the first unexpected one; this checks it
finished, that every step reported its outcome, and that Ctrl-C then leaves no process behind.

usage: walkthrough_test.py BIN_DIR
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/bin")
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FAILURES = []
# The outcomes the walkthrough checks: 12 with gantryctl, 10 with the AWS CLI.
EXPECTED_OUTCOMES = 22


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what, flush=True)
    if not cond:
        FAILURES.append(what)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_aws_cli():
    if shutil.which("aws"):
        return
    print("installing the AWS CLI (Debian package awscli)", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "awscli"], check=True, env=env)


def processes_using(data):
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
            found.append(f"{pid}: {cmdline.replace(chr(0), ' ').strip()}")
    return found


def main():
    ensure_aws_cli()
    work = tempfile.mkdtemp(prefix="gantry-walkthrough-")
    data = os.path.join(work, "data")
    port, grpc_port = free_port(), free_port()
    env = dict(os.environ, GANTRY_DATA=data, GANTRY_LISTEN=f"127.0.0.1:{port}",
               GANTRY_GRPC_LISTEN=f"127.0.0.1:{grpc_port}", BIN=BIN)
    cluster = subprocess.Popen(["bash", os.path.join(ROOT, "scripts/run.sh"), BIN], cwd=ROOT,
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    up = threading.Event()
    lines = []

    def read():
        for line in cluster.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                up.set()
        up.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        up.wait(180)
        check(any(l.startswith("Press Ctrl-C") for l in lines),
              "make run's cluster is up:\n" + "".join(lines))
        walk = subprocess.run(
            [os.path.join(ROOT, "examples/walkthrough.sh")], cwd=ROOT,
            env=dict(env, GANTRY_SERVER=f"http://127.0.0.1:{port}"),
            capture_output=True, text=True, timeout=600)
        out = walk.stdout + walk.stderr
        print(out, flush=True)
        check(walk.returncode == 0, f"the walkthrough exits 0 (got {walk.returncode})")
        check("walkthrough: done" in out, "the walkthrough reaches its end")
        check("with the AWS CLI" in out, "the AWS CLI part ran")
        outcomes = out.count("  ok: ")
        check(outcomes == EXPECTED_OUTCOMES,
              f"every step checked its outcome ({outcomes} of {EXPECTED_OUTCOMES})")
        check("FAILED" not in out, "no step failed")
    finally:
        cluster.send_signal(signal.SIGINT)
        try:
            cluster.wait(timeout=120)
        except subprocess.TimeoutExpired:
            cluster.kill()
        left = []
        deadline = time.time() + 10
        while time.time() < deadline:
            left = processes_using(data)
            if not left:
                break
            time.sleep(0.2)
        check(not left, f"no process left behind after Ctrl-C: {left}")
        for line in left:
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
