#!/usr/bin/env python3
"""`make run` end to end: scripts/run.sh on loopback ports picked at run time and a temporary
data directory. It must converge (the Service and the Environment Ready, what runs where printed
per zone), stop everything it started on Ctrl-C (SIGINT) — tasks included, no process left
behind — and resume on the same data when run again.

usage: make_run_test.py BIN_DIR
"""
import os
import sys
import tempfile

from e2e import MakeRun, check, finish, processes_using

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/bin")


def run_once(cluster, expect):
    out = cluster.start()
    check("Press Ctrl-C" in out, f"{expect}: run.sh comes up and says how to stop\n{out}")
    for zone in ("us-east-1a", "us-east-1b", "us-east-1c"):
        check(f"zone {zone}" in out, f"{expect}: what runs where lists zone {zone}")
    check(out.count("service:web (web:1, RUNNING)") == 2, f"{expect}: two web tasks RUNNING")
    check(out.count("environment:logs (logagent:1, RUNNING)") == 3,
          f"{expect}: one logs task RUNNING on each of the three instances")
    check(bool(processes_using(cluster.data)), f"{expect}: gantryd, agents and tasks run")
    out = cluster.stop(expect)
    check("make run: stopped" in out, f"{expect}: Ctrl-C stops it cleanly\n{out[-2000:]}")


def main():
    work = tempfile.mkdtemp(prefix="gantry-make-run-")
    cluster = MakeRun(BIN, os.path.join(work, "data"))
    try:
        run_once(cluster, "first run")
        run_once(cluster, "second run, same data")  # the same ports and data
    finally:
        cluster.kill_leftovers()
    return finish(work)


if __name__ == "__main__":
    sys.exit(main())
