#!/usr/bin/env python3
"""The AWS SDK for JavaScript v3 against gantryd and a simulated fleet (ecs_sdk_services.mjs).

Starts gantryd and `gantry-agent --simulate 6` (cluster sdk) on loopback ports picked at run
time, installs @aws-sdk/client-ecs (npm, into the build tree, once) and runs the script.

usage: ecs_sdk_test.py BIN_DIR NODE_MODULES_DIR
"""
import http.client
import os
import shutil
import subprocess
import sys
import tempfile
import time

from e2e import free_port, stop_processes

BIN, MODULES = sys.argv[1], sys.argv[2]
HERE = os.path.dirname(os.path.abspath(__file__))


def ensure_sdk():
    if os.path.exists(os.path.join(MODULES, "node_modules", "@aws-sdk", "client-ecs")):
        return
    os.makedirs(MODULES, exist_ok=True)
    print("installing @aws-sdk/client-ecs with npm", flush=True)
    subprocess.run(["npm", "install", "--prefix", MODULES, "--no-audit", "--no-fund",
                    "@aws-sdk/client-ecs@3"], check=True, timeout=600)


def main():
    ensure_sdk()
    work = tempfile.mkdtemp(prefix="gantry-sdk-e2e-")
    port, grpc = free_port(), free_port()
    procs = [subprocess.Popen(
        [os.path.join(BIN, "gantryd"), "--data-dir", os.path.join(work, "data"), "--listen",
         f"127.0.0.1:{port}", "--grpc-listen", f"127.0.0.1:{grpc}"],
        stderr=open(os.path.join(work, "gantryd.log"), "w"))]
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                c.request("GET", "/readyz")
                if c.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        procs.append(subprocess.Popen(
            [os.path.join(BIN, "gantry-agent"), "--server", f"127.0.0.1:{grpc}", "--cluster",
             "sdk", "--state-dir", os.path.join(work, "sim"), "--simulate", "6",
             "--memory", "4096"],
            stderr=open(os.path.join(work, "sim.log"), "w")))
        # The script copies beside the modules so Node resolves the SDK from there.
        script = os.path.join(MODULES, "ecs_sdk_services.mjs")
        shutil.copy(os.path.join(HERE, "ecs_sdk_services.mjs"), script)
        time.sleep(1)  # the simulated instances register
        r = subprocess.run(["node", script, f"http://127.0.0.1:{port}"], timeout=300)
        if r.returncode != 0:
            with open(os.path.join(work, "gantryd.log")) as f:
                print("---- gantryd.log (last lines)\n" + "".join(f.readlines()[-20:]))
        return r.returncode
    finally:
        stop_processes(procs)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
