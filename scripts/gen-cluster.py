#!/usr/bin/env python3
"""Writes a simulate input with N instances (3 zones, 6 instance types, custom attributes, a few
existing tasks) and a placement request, as YAML or JSON. Used by `make bench`.

usage: gen-cluster.py N [--json] [--count TASKS] > cluster.yaml
"""
import argparse
import json
import sys

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]
TYPES = ["t2.small", "t2.medium", "m5.large", "m5.xlarge", "c5.large", "r5.large"]
MEMORY = [2048, 4096, 8192, 16384, 4096, 16384]
CPU = [1024, 2048, 2048, 4096, 2048, 2048]


def cluster(n, count):
    instances = []
    for i in range(n):
        t = (i // 3) % 6
        inst = {
            "id": "i-%08d" % i,
            "agentVersion": "1.14.4" if i % 10 == 0 else "1.15.0",
            "registeredAt": "2018-01-%02dT00:00:00Z" % (1 + i % 28),
            "attributes": {
                "ecs.availability-zone": ZONES[i % 3],
                "ecs.instance-type": TYPES[t],
                "ecs.os-type": "linux",
                "stack": "dev" if i % 5 == 0 else "prod",
                "rack": "rack-%d" % (i % 64),
            },
            "cpu": CPU[t],
            "memory": MEMORY[t],
        }
        tasks = []
        if i % 4 == 0:
            tasks.append({"group": "family:web", "cpu": 256, "memory": 512, "ports": [80]})
        if i % 7 == 0:
            tasks.append({"group": "service:api", "cpu": 128, "memory": 256})
        if tasks:
            inst["tasks"] = tasks
        instances.append(inst)
    request = {
        "count": count,
        "group": "service:web",
        "cpu": 64,
        "memory": 256,
        "placementConstraints": [{"type": "memberOf", "expression":
                                  "attribute:ecs.instance-type in [t2.medium, m5.large, m5.xlarge, r5.large] "
                                  "and attribute:stack == prod"}],
        "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"},
                              {"type": "binpack", "field": "memory"}],
        "seed": 42,
    }
    return {"instances": instances, "filter": "attribute:ecs.instance-type =~ m5.*", "request": request}


def to_yaml(doc):
    out = ["instances:"]
    for inst in doc["instances"]:
        out.append("  - id: %s" % inst["id"])
        out.append("    agentVersion: %s" % inst["agentVersion"])
        out.append("    registeredAt: %s" % inst["registeredAt"])
        attrs = ", ".join("%s: %s" % kv for kv in inst["attributes"].items())
        out.append("    attributes: {%s}" % attrs)
        out.append("    cpu: %d" % inst["cpu"])
        out.append("    memory: %d" % inst["memory"])
        if "tasks" in inst:
            out.append("    tasks:")
            for t in inst["tasks"]:
                out.append("      - " + json.dumps(t))
    out.append("filter: " + json.dumps(doc["filter"]))
    out.append("request: " + json.dumps(doc["request"]))
    return "\n".join(out) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("n", type=int)
    p.add_argument("--json", action="store_true")
    p.add_argument("--count", type=int, default=1000)
    a = p.parse_args()
    doc = cluster(a.n, a.count)
    sys.stdout.write(json.dumps(doc) + "\n" if a.json else to_yaml(doc))


if __name__ == "__main__":
    main()
