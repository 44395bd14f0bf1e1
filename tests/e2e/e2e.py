"""What the end-to-end tests share: checks that count failures, loopback ports, polling, the
AWS CLI, and `make run`'s cluster (scripts/run.sh) started, stopped and checked for leftovers."""
import os
import shutil
import signal
import socket
import subprocess
import threading
import time

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


def wait_for(cond, timeout, what):
    """Polls `cond` until true (a failed check after `timeout` seconds); exceptions count as
    not yet."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if cond():
                return True
        except Exception:  # not up yet
            pass
        time.sleep(0.1)
    check(False, what)
    return False


def stop_processes(procs):
    """SIGTERM to each, the last started first (agents before gantryd); SIGKILL after 10 s."""
    for p in reversed(procs):
        p.send_signal(signal.SIGTERM)
    for p in reversed(procs):
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def ensure_aws_cli():
    if shutil.which("aws"):
        return
    print("installing the AWS CLI (Debian package awscli)", flush=True)
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", "awscli"], check=True, env=env)


def processes_using(data):
    """Processes whose command line or working directory points into `data`."""
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


class MakeRun:
    """scripts/run.sh with its data in `data` and ports picked here; its output collected."""

    def __init__(self, bin_dir, data):
        self.data = data
        self.port, self.grpc_port = free_port(), free_port()
        self.env = dict(os.environ, GANTRY_DATA=data, GANTRY_LISTEN=f"127.0.0.1:{self.port}",
                        GANTRY_GRPC_LISTEN=f"127.0.0.1:{self.grpc_port}", BIN=bin_dir)
        self.bin_dir = bin_dir
        self.lines = []
        self.proc = None

    def start(self, timeout=180):
        """Until it says how to stop (the cluster converged), or `timeout`; its output so far."""
        self.lines = []
        self.proc = subprocess.Popen(
            ["bash", os.path.join(ROOT, "scripts/run.sh"), self.bin_dir], cwd=ROOT, env=self.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        up = threading.Event()

        def read():
            for line in self.proc.stdout:
                self.lines.append(line)
                if line.startswith("Press Ctrl-C"):
                    up.set()
            up.set()

        self.reader = threading.Thread(target=read, daemon=True)
        self.reader.start()
        up.wait(timeout)
        return "".join(self.lines)

    def stop(self, what):
        """Ctrl-C, then no process may be left behind; its whole output."""
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            check(False, f"{what}: run.sh ends after Ctrl-C")
        self.reader.join(5)
        left = []
        deadline = time.time() + 10
        while time.time() < deadline:
            left = processes_using(self.data)
            if not left:
                break
            time.sleep(0.2)
        check(not left, f"{what}: no process left behind after Ctrl-C: {left}")
        return "".join(self.lines)

    def kill_leftovers(self):
        for line in processes_using(self.data):
            try:
                os.kill(int(line.split(":")[0]), signal.SIGKILL)
            except OSError:
                pass


def finish(work):
    """Removes `work` unless something failed; the exit code."""
    if FAILURES:
        print("data and logs kept in " + work)
    else:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{len(FAILURES)} failures")
    return 1 if FAILURES else 0
