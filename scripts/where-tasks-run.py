#!/usr/bin/env python3
"""What runs where, a table per zone, from two files: the output of `gantryctl get
containerinstances -o json` and of `gantryctl get tasks -o json`. Used by scripts/run.sh.

usage: where-tasks-run.py INSTANCES.json TASKS.json
       where-tasks-run.py --settled SERVICES.json ENVIRONMENTS.json TASKS.json
         exit 0 when every Service runs its desiredCount and every Environment one task on each
         eligible instance (RUNNING, counted from the tasks, not from a status that may be old)"""
import json
import sys
from collections import defaultdict


def items(doc):
    return doc.get("items", []) if isinstance(doc, dict) else []


def running_by_group(tasks):
    counts = defaultdict(int)
    for t in tasks:
        if t.get("status", {}).get("lastStatus") == "RUNNING" and \
                t.get("spec", {}).get("desiredStatus", "RUNNING") == "RUNNING":
            counts[t.get("spec", {}).get("group", "")] += 1
    return counts


def settled(services, environments, tasks):
    running = running_by_group(tasks)
    for s in services:
        if running["service:" + s["metadata"]["name"]] != s.get("spec", {}).get("desiredCount", 0):
            return False
    for e in environments:
        eligible = e.get("status", {}).get("instancesEligible", 0)
        if eligible == 0 or running["environment:" + e["metadata"]["name"]] != eligible:
            return False
    return True


def main():
    if sys.argv[1] == "--settled":
        docs = [items(json.load(open(path))) for path in sys.argv[2:5]]
        sys.exit(0 if settled(*docs) else 1)
    instances = items(json.load(open(sys.argv[1])))
    tasks = items(json.load(open(sys.argv[2])))
    by_instance = defaultdict(list)
    for t in tasks:
        if t.get("status", {}).get("lastStatus") == "STOPPED":
            continue
        spec = t.get("spec", {})
        by_instance[spec.get("containerInstance", "")].append(
            f'{spec.get("group", "")} ({spec.get("taskDefinition", "")}, '
            f'{t.get("status", {}).get("lastStatus") or "PENDING"})')
    zones = defaultdict(list)
    for ci in instances:
        attrs = {a["name"]: a.get("value", "") for a in ci.get("spec", {}).get("attributes", [])}
        zones[attrs.get("ecs.availability-zone", "(no zone)")].append((ci, attrs))
    for zone in sorted(zones):
        print(f"zone {zone}")
        for ci, attrs in sorted(zones[zone], key=lambda x: x[0]["metadata"]["name"]):
            name = ci["metadata"]["name"]
            status = ci.get("status", {})
            left = status.get("remainingResources", {})
            print(f'  {name}  {attrs.get("ecs.instance-type", "")}  {status.get("status", "")}'
                  f'  free cpu {left.get("cpu", 0)} memory {left.get("memory", 0)} MiB')
            for line in sorted(by_instance.get(name, [])) or ["(no tasks)"]:
                print(f"      {line}")


if __name__ == "__main__":
    main()
