#!/usr/bin/env python3
"""docs/gitops.md's CI loop end to end: examples/gitops/sync.sh (diff, apply --prune, status
--wait) run pass after pass against the cluster `make run` starts, on a copy of
examples/gitops/deploy that the test changes between passes as commits would: the first pass
applies and waits for the Service to run, the next finds nothing to do, a Service taken out is
pruned, a bad commit changes nothing, drift made by hand is put back.

usage: gitops_test.py BIN_DIR
"""
import os
import shutil
import subprocess
import sys
import tempfile

from e2e import ROOT, MakeRun, check, finish

BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build/bin")
SYNC = os.path.join(ROOT, "examples/gitops/sync.sh")


def main():
    work = tempfile.mkdtemp(prefix="gantry-gitops-")
    cluster = MakeRun(BIN, os.path.join(work, "data"))
    deploy = os.path.join(work, "deploy")
    shutil.copytree(os.path.join(ROOT, "examples/gitops/deploy"), deploy)
    env = None

    def sync():
        r = subprocess.run([SYNC, deploy, "ci"], env=env, capture_output=True, text=True,
                           timeout=600)
        out = r.stdout + r.stderr
        print(out, flush=True)
        return r.returncode, out

    def ctl(*args):
        return subprocess.run([os.path.join(BIN, "gantryctl"), *args], env=env,
                              capture_output=True, text=True, timeout=60)

    try:
        up = cluster.start()
        check("Press Ctrl-C" in up, "make run's cluster is up:\n" + up)
        env = dict(cluster.env, GANTRY_SERVER=f"http://127.0.0.1:{cluster.port}",
                   GANTRYCTL=os.path.join(BIN, "gantryctl"), TIMEOUT="120s")

        code, out = sync()
        check(code == 0 and "sync: done" in out, "the first pass applies and waits (exit 0)")
        check("service/hello created" in out, "the first pass creates the Service")
        check(ctl("wait", "service", "hello", "--for=jsonpath={.status.runningCount}=2",
                  "--timeout=5s").returncode == 0, "its 2 tasks run after the first pass")

        code, out = sync()
        check(code == 0 and "in sync" in out and "created" not in out,
              "a second pass finds nothing to do")

        # Drift by hand: the next pass puts the directory's desiredCount back.
        ctl("scale", "service", "hello", "--replicas", "1")
        code, out = sync()
        check(code == 0 and "drift" in out and "service/hello configured" in out,
              "a pass corrects drift made by hand")

        # A bad commit: nothing applied, nothing pruned, exit 1.
        with open(os.path.join(deploy, "broken.yaml"), "w") as f:
            f.write("apiVersion: gantry.dev/v1\nkind: Service\nmetadata: {name: broken}\n"
                    "spec: {cluster: default, taskDefinition: hello, desiredCount: -3}\n")
        os.rename(os.path.join(deploy, "hello.yaml"), os.path.join(work, "hello.yaml"))
        with open(os.path.join(work, "hello.yaml")) as f:
            td_only = f.read().split("---")[0]
        with open(os.path.join(deploy, "td.yaml"), "w") as f:
            f.write(td_only)
        code, out = sync()
        check(code != 0, "a bad commit fails the pass")
        check("spec.desiredCount" in out and "broken.yaml" in out,
              "the error names the file and the field")
        check(ctl("get", "service", "hello").returncode == 0, "a bad commit prunes nothing")

        # The fix: the Service stays out of the directory, so it is pruned, and its tasks stop.
        os.remove(os.path.join(deploy, "broken.yaml"))
        code, out = sync()
        check(code == 0 and "service/hello pruned" in out, "a Service taken out is pruned")
        check(ctl("get", "service", "hello").returncode != 0, "the pruned Service is gone")
        code, out = sync()
        check(code == 0 and "in sync" in out, "and then the cluster is in sync")
    finally:
        cluster.stop("after the GitOps passes")
        cluster.kill_leftovers()
    return finish(work)


if __name__ == "__main__":
    sys.exit(main())
