#!/usr/bin/env python3
"""examples/walkthrough.sh end to end: the talk's scheduling commands against the cluster `make
run` starts (scripts/run.sh on loopback ports picked at run time, a temporary data directory),
once with gantryctl and once with the AWS CLI (Debian's awscli, installed if missing). The
walkthrough checks every outcome itself and exits 1 on the first unexpected one; this checks it
finished, that every step reported its outcome, and that Ctrl-C then leaves no process behind.

usage: walkthrough_test.py BIN_DIR
"""
import os
import subprocess
import sys
import tempfile

from e2e import ROOT, MakeRun, check, ensure_aws_cli, finish

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/bin")
# The outcomes the walkthrough checks: 12 with gantryctl, 10 with the AWS CLI.
EXPECTED_OUTCOMES = 22


def main():
    ensure_aws_cli()
    work = tempfile.mkdtemp(prefix="gantry-walkthrough-")
    cluster = MakeRun(BIN, os.path.join(work, "data"))
    try:
        up = cluster.start()
        check("Press Ctrl-C" in up, "make run's cluster is up:\n" + up)
        walk = subprocess.run(
            [os.path.join(ROOT, "examples/walkthrough.sh")], cwd=ROOT,
            env=dict(cluster.env, GANTRY_SERVER=f"http://127.0.0.1:{cluster.port}"),
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
        cluster.stop("after the walkthrough")
        cluster.kill_leftovers()
    return finish(work)


if __name__ == "__main__":
    sys.exit(main())
