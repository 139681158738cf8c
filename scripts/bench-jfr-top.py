#!/usr/bin/env python3
"""The hottest methods of a JFR recording (jdk.ExecutionSample), for scripts/bench.sh --profile:
self time (the sample's top frame) and total time (the method anywhere on the stack, counted once
per sample), as shares of all samples, as two markdown tables.
   scripts/bench-jfr-top.py <recording.jfr> [top N]"""
import collections
import json
import subprocess
import sys

recording, top = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 15
# --stack-depth: deep enough that "total" sees the request's entry frames under Netty's loop
printed = subprocess.run(["jfr", "print", "--json", "--stack-depth", "128", "--events", "jdk.ExecutionSample",
                          recording], check=True, capture_output=True, text=True).stdout
events = json.loads(printed)["recording"]["events"]
self_count, total_count = collections.Counter(), collections.Counter()
for event in events:
    frames = event["values"]["stackTrace"]["frames"] if event["values"].get("stackTrace") else []
    names = [f"{fr['method']['type']['name']}.{fr['method']['name']}" for fr in frames]
    if not names:
        continue
    self_count[names[0]] += 1
    for name in set(names):
        total_count[name] += 1
samples = sum(self_count.values()) or 1
print(f"JFR `jdk.ExecutionSample`: {samples} samples of the node's Java threads under load c.\n")
for title, counter in (("self", self_count), ("with callees", total_count)):
    print(f"| # | method ({title}) | share of samples |\n| ---: | --- | ---: |")
    for rank, (name, count) in enumerate(counter.most_common(top), 1):
        print(f"| {rank} | `{name}` | {count / samples * 100:.1f}% |")
    print()
