#!/usr/bin/env python3
"""The hottest methods of a JFR recording (jdk.ExecutionSample), for scripts/bench.sh --profile:
self time (the sample's top frame) and total time (the method anywhere on the stack, counted once
per sample), as shares of all samples, as markdown tables: self; with callees, leaving out the
thread and event-loop plumbing that is on nearly every stack; with callees, postgres-do's own
methods (dev.pgdo) only.
   scripts/bench-jfr-top.py <recording.jfr> [top N] [load name]"""
import collections
import json
import subprocess
import sys

recording, top = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 15
load = sys.argv[3] if len(sys.argv) > 3 else "c"
# --stack-depth: deep enough that "total" sees the request's entry frames under Netty's loop
printed = subprocess.run(["jfr", "print", "--json", "--stack-depth", "128", "--events", "jdk.ExecutionSample",
                          recording], check=True, capture_output=True, text=True).stdout
events = json.loads(printed)["recording"]["events"]
PLUMBING = ("java.lang.Thread.", "java.util.concurrent.ThreadPoolExecutor", "io.netty.util.concurrent.",
            "io.netty.util.internal.ThreadExecutorMap", "io.netty.channel.nio.", "io.netty.channel.SingleThreadIoEventLoop",
            "io.netty.channel.DefaultChannelPipeline", "io.netty.channel.AbstractChannelHandlerContext",
            "io.netty.channel.ChannelInboundHandlerAdapter", "io.netty.channel.CombinedChannelDuplexHandler")
self_count, total_count, ours = collections.Counter(), collections.Counter(), collections.Counter()
for event in events:
    frames = event["values"]["stackTrace"]["frames"] if event["values"].get("stackTrace") else []
    names = [f"{fr['method']['type']['name'].replace('/', '.')}.{fr['method']['name']}" for fr in frames]
    if not names:
        continue
    self_count[names[0]] += 1
    for name in set(names):
        if "$$Lambda" in name:  # a lambda's synthetic frame: its body is the lambda$... method below it
            continue
        if not name.startswith(PLUMBING):
            total_count[name] += 1
        if name.startswith("dev.pgdo."):
            ours[name] += 1
samples = sum(self_count.values()) or 1
print(f"JFR `jdk.ExecutionSample`: {samples} samples of the node's Java threads under load {load}.\n")
for title, counter in (("self", self_count), ("with callees, without event-loop plumbing", total_count),
                       ("with callees, dev.pgdo only", ours)):
    print(f"| # | method ({title}) | share of samples |\n| ---: | --- | ---: |")
    for rank, (name, count) in enumerate(counter.most_common(top), 1):
        print(f"| {rank} | `{name}` | {count / samples * 100:.1f}% |")
    print()
