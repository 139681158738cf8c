#!/usr/bin/env python3
"""Turns the JSON rows of one scripts/bench.sh run (bench/results/<run>/*.json) into the markdown
report: the throughput table with ratios to (a), (b) and the peer, the warmth and start-up table,
and issue 11's targets with the figure each was judged on. Also writes <run>/summary.json.
   scripts/bench-report.py <run dir> <concurrency> <seconds per target> <zipf seconds>"""
import json
import os
import sys

run, concurrency, seconds, zipf_seconds = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
rows = {}
for name in sorted(os.listdir(run)):
    if name.endswith(".json") and name != "summary.json":
        row = json.load(open(os.path.join(run, name)))
        rows[row["target"]] = row


def known(value):
    return isinstance(value, (int, float)) and value == value  # not None, not a string, not NaN


def num(value, digits=0):
    if not known(value):
        return "-"
    return f"{value:,.{digits}f}" if digits else f"{round(value):,}"


def ratio(row, base):
    if row is None or base is None or not base.get("reqPerSec"):
        return "-"
    return f"{row['reqPerSec'] / base['reqPerSec']:.2f}x"


out = [f"Point select by random primary key on a {100000:,}-row table, {concurrency} in flight, "
       f"{seconds} s per target, one target at a time (`scripts/bench.sh`, run {os.path.basename(run)}).", "",
       "| target | req/s | p50 ms | p99 ms | server CPU µs/req | PostgreSQL CPU µs/req | vs (a) | vs (b) | vs peer |",
       "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
a, b, peer = rows.get("a"), rows.get("b"), rows.get("p")
for key in ["a", "b", "p", "c", "d", "e"]:
    row = rows.get(key)
    if row is None:
        out.append(f"| {key}. (missing) | - | - | - | - | - | - | - | - |")
        continue
    label = row["label"] + (f" ({row['note']})" if row.get("note") else "")
    out.append(f"| {key}. {label} | {num(row.get('reqPerSec'))} | {num(row.get('p50Ms'), 2)} | "
               f"{num(row.get('p99Ms'), 2)} | {num(row.get('cpuUsPerReq'))} | {num(row.get('pgCpuUsPerReq'))} | "
               f"{ratio(row, a)} | {ratio(row, b)} | {ratio(row, peer)} |")

out += ["", "| target | figures |", "| --- | --- |"]
c, c1, f, g, h = rows.get("c"), rows.get("c1"), rows.get("f"), rows.get("g"), rows.get("h")
if c1:
    out.append(f"| c1. {c1['label']} | direct p50 {num(c1['directP50Ms'], 3)} ms; postgres-do p50 "
               f"{num(c1['httpP50Ms'], 3)} ms (p99 {num(c1['httpP99Ms'], 3)}), of which in the node "
               f"(`timings.totalMs`) p50 {num(c1['nodeP50Ms'], 3)} ms; +{num(c1['overheadP50Ms'], 3)} ms over direct |")
else:
    out.append("| c1. (missing) | - |")
if c:
    out.append(f"| c. warm answers under load c | {num((c.get('warmRate') or 0) * 100, 2)}% "
               f"({c.get('warmHits')} hits, {c.get('warmMisses')} misses, `pgdo_warm_total`) |")
r = rows.get("r")
if r:
    out.append(f"| r. {r['label']} | PostgreSQL CPU {num(r['plainPgCpuUsPerReq'], 1)} µs per point select, "
               f"{num(r['resetPgCpuUsPerReq'], 1)} µs with the reset (+{num(r['resetPgCpuUs'], 1)} µs); "
               f"{num(r['plainReqPerSec'])} vs {num(r['resetReqPerSec'])} req/s |")
if f:
    out.append(f"| f. {f['label']} | median {f['medianMs']} ms; runs {', '.join(str(x) for x in f['runsMs'])} ms |")
else:
    out.append("| f. (missing) | - |")
if g:
    out.append(f"| g. {g['label']} | first: client p50 {num(g['firstClientP50Ms'], 2)} ms / p99 "
               f"{num(g['firstClientP99Ms'], 2)}, node p50 {num(g['firstNodeP50Ms'], 2)} ms / p99 "
               f"{num(g['firstNodeP99Ms'], 2)}, warm {g['firstWarm']}/{g['tenants']}; second: client p50 "
               f"{num(g['secondClientP50Ms'], 2)} ms, node p50 {num(g['secondNodeP50Ms'], 2)} ms, "
               f"warm {g['secondWarm']}/{g['tenants']} |")
else:
    out.append("| g. (missing) | - |")
if h:
    pct = lambda v: f"{v * 100:.1f}%" if known(v) else "-"
    out.append(f"| h. {h['label']}, {zipf_seconds} s | warm {pct(h['warmRateSteady'])} steady "
               f"({pct(h['warmRate'])} overall) vs Belady {pct(h['beladyRateSteady'])} and LRU "
               f"{pct(h['lruRateSteady'])} for {h['capacity']} connections, same trace; {num(h['reqPerSec'])} req/s, "
               f"{h['distinctTenants']} tenants seen, {h['errors']} errors; in the node: hit p50 "
               f"{num(h['hitNodeP50Ms'], 2)} ms, miss p50 {num(h['missNodeP50Ms'], 2)} ms / p99 "
               f"{num(h['missNodeP99Ms'], 2)} ms |")
else:
    out.append("| h. (missing) | - |")


def check(name, value, ok):
    return f"| {name} | {value} | {'met' if ok else 'not met'} |"


targets = []
if c and peer and known(c.get("p99Ms")) and known(peer.get("p99Ms")) and peer.get("reqPerSec"):
    targets.append(check("req/s >= 3x the peer", ratio(c, peer), c["reqPerSec"] >= 3 * peer["reqPerSec"]))
    targets.append(check("p99 no worse than the peer's", f"{num(c['p99Ms'], 2)} vs {num(peer['p99Ms'], 2)} ms",
                         c["p99Ms"] <= peer["p99Ms"]))
if c and a:
    targets.append(check("req/s >= 0.5x pgbench", ratio(c, a), c["reqPerSec"] >= 0.5 * a["reqPerSec"]))
if c and known(c.get("cpuUsPerReq")):
    targets.append(check("node CPU <= 50 µs/request", f"{num(c['cpuUsPerReq'])} µs", c["cpuUsPerReq"] <= 50))
if c and known(c.get("warmRate")):
    targets.append(check("warm >= 99.5% at 16 in flight, one tenant", f"{c['warmRate'] * 100:.2f}%",
                         c["warmRate"] >= 0.995))
if c1 and known(c1.get("overheadP50Ms")):
    targets.append(check("sequential p50 <= direct + 0.3 ms", f"+{num(c1['overheadP50Ms'], 3)} ms",
                         c1["overheadP50Ms"] <= 0.3))
if h and known(h.get("warmRateSteady")) and known(h.get("beladyRateSteady")):
    gap = (h["beladyRateSteady"] - h["warmRateSteady"]) * 100
    targets.append(check("Zipf warm rate within 2 points of Belady", f"{gap:.1f} points below", gap <= 2))
    if known(h.get("missNodeP50Ms")):
        targets.append(check("a miss costs <= 5 ms in the node", f"p50 {num(h['missNodeP50Ms'], 2)} ms",
                             h["missNodeP50Ms"] <= 5))
if f:
    targets.append(check("cold start <= 1.0 s", f"{f['medianMs']} ms", f["medianMs"] <= 1000))
if g and known(g.get("firstNodeP50Ms")):
    targets.append(check("new tenant's first query <= 5 ms in the node", f"p50 {num(g['firstNodeP50Ms'], 2)} ms",
                         g["firstNodeP50Ms"] <= 5))
out += ["", "| issue 11 target | this run | |", "| --- | --- | --- |"] + targets
print("\n".join(out))
json.dump(dict(run=os.path.basename(run), rows=rows), open(os.path.join(run, "summary.json"), "w"), indent=1)
