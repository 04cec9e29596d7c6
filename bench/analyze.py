#!/usr/bin/env python3
"""Turns the raw output of one benchmark run into one JSON line, and a results
directory into the Markdown tables of docs/benchmarks.md.

  analyze.py fanout    --record R --fanout F [--sched-log L] [--mdb-stat S] ...
  analyze.py precision --record R --plan P [--sched-log L] [--leases K]
  analyze.py limiter   --record R --stats S --groups N --limit L --window-ms W ...
  analyze.py report    DIR          (Markdown on stdout)

Percentiles are nearest-rank. Every figure in the report is the median of the
runs with [min-max]; ratios are taken between figures of the same run.
"""
import argparse
import datetime
import json
import math
import os
import re
import statistics
import sys


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = max(0, math.ceil(p / 100.0 * len(sorted_vals)) - 1)
    return sorted_vals[k]


def read_record(path):
    """Yields (post, group, ts_ms) for each line of mockchat's record."""
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            yield r["post"], r["group"], r["ts_ms"]


LOG_TS = re.compile(r"^ts=(\S+) .*event=(\w+) (.*)$")


def log_events(path, event):
    """Yields (ts_ms, fields) for each line of a log with event=EVENT."""
    if not path or not os.path.exists(path):
        return
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            m = LOG_TS.match(line)
            if not m or m.group(2) != event:
                continue
            t = datetime.datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S.%fZ")
            t = t.replace(tzinfo=datetime.timezone.utc)
            fields = dict(kv.split("=", 1) for kv in m.group(3).split() if "=" in kv)
            yield round(t.timestamp() * 1000), fields


def mdb_bytes(stat_path, db="deliveries"):
    """(bytes per entry of db, bytes of the whole environment in use) from the
    output of `mdb_stat -e -a`."""
    if not stat_path or not os.path.exists(stat_path):
        return None, None
    text = open(stat_path, encoding="utf-8").read()
    psize = int(re.search(r"Page size: (\d+)", text).group(1))
    used = re.search(r"Number of pages used: (\d+)", text)
    env_used = int(used.group(1)) * psize if used else None
    per = None
    m = re.search(r'Status of %s\n(.*?)(?:\nStatus of|\Z)' % db, text, re.S)
    if m:
        block = m.group(1)
        pages = sum(int(x) for x in re.findall(
            r"(?:Branch|Leaf|Overflow) pages: (\d+)", block))
        entries = int(re.search(r"Entries: (\d+)", block).group(1))
        per = pages * psize / entries if entries else None
    return per, env_used


def vm_hwm_kb(status_files):
    out = []
    for p in status_files:
        if p and os.path.exists(p):
            m = re.search(r"VmHWM:\s+(\d+) kB", open(p).read())
            if m:
                out.append(int(m.group(1)))
    return out


def cmd_fanout(a):
    fan = json.loads(open(a.fanout).read())
    due, total = fan["due_ms"], fan["total"]
    lat = sorted(ts - due for post, _, ts in read_record(a.record)
                 if post == fan["post"])
    done_ms = fan["done_ms"] - due
    per, env_used = mdb_bytes(a.mdb_stat)
    sched = vm_hwm_kb([a.sched_status])
    disp = vm_hwm_kb(a.disp_status or [])
    first_active = [t for t, f in log_events(a.sched_log, "post_active")
                    if f.get("post") == fan["post"]]
    last_done = [t for t, f in log_events(a.sched_log, "post_done")
                 if f.get("post") == fan["post"]]
    out = {
        "system": a.system, "groups": a.groups, "workers": a.workers, "rep": a.rep,
        "total": total, "delivered": fan["delivered"], "failed": fan["failed"],
        "received": len(lat), "created_before_due": fan["created_ms"] <= due,
        "done_ms": done_ms,
        "log_done_ms": last_done[0] - due if last_done else None,
        "activation_late_ms": first_active[0] - due if first_active else None,
        "per_s": total * 1000.0 / done_ms if done_ms > 0 else None,
        "lat_p50_ms": pct(lat, 50), "lat_p99_ms": pct(lat, 99),
        "lat_max_ms": lat[-1] if lat else None,
        "sched_hwm_mb": sched[0] / 1024 if sched else None,
        "disp_hwm_mb": max(disp) / 1024 if disp else None,
        "mdb_bytes_per_delivery": per,
        "mdb_env_bytes_per_delivery": env_used / total if env_used and total else None,
        "redis_bytes_per_job": a.redis_bytes_per_job,
    }
    print(json.dumps(out))


def read_plan(path):
    """post -> (due_ms, created_ms) from "post due created" lines."""
    plan = {}
    with open(path) as f:
        for line in f:
            p, due, created = line.split()
            plan[p] = (int(due), int(created))
    return plan


def lateness(plan, firsts):
    return sorted(t - plan[p][0] for p, t in firsts.items() if p in plan)


def summary(vals, prefix):
    return {prefix + "_n": len(vals), prefix + "_p50_ms": pct(vals, 50),
            prefix + "_p99_ms": pct(vals, 99),
            prefix + "_max_ms": vals[-1] if vals else None,
            prefix + "_min_ms": vals[0] if vals else None}


def cmd_precision(a):
    plan = read_plan(a.plan)
    first = {}
    for post, _, ts in read_record(a.record):
        if post in plan and (post not in first or ts < first[post]):
            first[post] = ts
    out = {"system": a.system, "rep": a.rep, "posts": len(plan), "create_ms": a.create_ms,
           "created_after_due": sum(1 for d, c in plan.values() if c > d)}
    out.update(summary(lateness(plan, first), "receipt"))
    leases = {}
    for t, f in log_events(a.sched_log, "post_active"):
        leases.setdefault(f.get("post"), t)
    if a.leases and os.path.exists(a.leases):
        for line in open(a.leases):
            p, t = line.split()
            leases[p] = min(int(t), leases.get(p, int(t)))
    if leases:
        out.update(summary(lateness(plan, leases), a.lease_name))
    print(json.dumps(out))


def cmd_limiter(a):
    """Violations recomputed from the receive times (a message that is the
    (limit+1)-th of its group within any window) next to mockchat's count, and
    the messages received in [t0, t0 + windows x W) against the sum of limits."""
    times = {}
    for _post, group, ts in read_record(a.record):
        times.setdefault(group, []).append(ts)
    t0 = min(t for ts in times.values() for t in ts)
    end = t0 + a.windows * a.window_ms
    violations, tightest, in_span = 0, None, []
    for ts in times.values():
        ts.sort()
        for i in range(a.limit, len(ts)):
            span = ts[i] - ts[i - a.limit]
            tightest = span if tightest is None else min(tightest, span)
            violations += span < a.window_ms
        in_span.append(sum(t0 <= t < end for t in ts))
    in_span += [0] * (a.groups - len(in_span))
    ideal = a.groups * a.limit * a.windows
    totals = json.load(open(a.stats))["totals"]
    print(json.dumps({
        "rep": a.rep, "groups": a.groups, "limit": a.limit, "window_ms": a.window_ms,
        "windows": a.windows, "posts": a.posts, "first_late_ms": t0 - a.due_ms,
        "received": sum(len(ts) for ts in times.values()),
        "violations_mockchat": totals["violations"],
        "throttled_mockchat": totals["throttled"],
        "violations_record": violations, "tightest_span_ms": tightest,
        "in_span": sum(in_span), "ideal": ideal,
        "achieved_ratio": sum(in_span) / ideal,
        "group_min": min(in_span), "group_max": max(in_span)}))


# ---- report ----

def load(dirpath, name):
    path = os.path.join(dirpath, name)
    if not os.path.exists(path):
        return []
    return [json.loads(l) for l in open(path) if l.strip()]


def fmt(v, digits=0):
    if v is None:
        return "–"
    if isinstance(v, float) and digits == 0:
        v = round(v)
    if digits:
        return f"{v:,.{digits}f}"
    return f"{v:,}"


def mmm(vals, digits=0):
    vals = [v for v in vals if v is not None]
    if not vals:
        return "–"
    return "%s [%s–%s]" % (fmt(statistics.median(vals), digits),
                           fmt(min(vals), digits), fmt(max(vals), digits))


def med(vals):
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def group_runs(rows, keys):
    out = {}
    for r in rows:
        out.setdefault(tuple(r.get(k) for k in keys), []).append(r)
    return out


def fanout_table(rows):
    lines = ["| system | groups | dispatchers / workers | runs | due → all acknowledged, ms "
             "| deliveries/s | latency p50, ms | latency p99, ms "
             "| scheduler (Redis) peak RSS, MB | dispatcher (worker) peak RSS, MB "
             "| bytes / delivery: LMDB record (Redis per pending job) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (sysname, groups, workers), rs in sorted(group_runs(
            rows, ["system", "groups", "workers"]).items()):
        ok = [r for r in rs if r["delivered"] == r["total"]]
        bad = len(rs) - len(ok)
        lines.append("| %s | %s | %s | %d%s | %s | %s | %s | %s | %s | %s | %s |" % (
            sysname, fmt(groups), workers, len(ok),
            f" ({bad} incomplete)" if bad else "",
            mmm([r["done_ms"] for r in ok]), mmm([r["per_s"] for r in ok]),
            mmm([r["lat_p50_ms"] for r in ok]), mmm([r["lat_p99_ms"] for r in ok]),
            mmm([r["sched_hwm_mb"] for r in ok], 1),
            mmm([r["disp_hwm_mb"] for r in ok], 1),
            mmm([r["mdb_bytes_per_delivery"] or r.get("redis_bytes_per_job")
                 for r in ok])))
    return lines


def ratio_table(rows):
    """qunfa/peer throughput ratio, pairing the runs of one repetition."""
    lines = ["| groups | dispatchers = workers | qunfa deliveries/s ÷ BullMQ deliveries/s "
             "| BullMQ p99 ÷ qunfa p99 latency |", "|---:|---:|---:|---:|"]
    by = group_runs(rows, ["groups", "workers"])
    for (groups, workers), rs in sorted(by.items()):
        q = {r["rep"]: r for r in rs if r["system"] == "qunfa"}
        p = {r["rep"]: r for r in rs if r["system"] == "bullmq"}
        reps = sorted(set(q) & set(p))
        if not reps:
            continue
        tp = [q[i]["per_s"] / p[i]["per_s"] for i in reps
              if q[i]["per_s"] and p[i]["per_s"]]
        lt = [p[i]["lat_p99_ms"] / q[i]["lat_p99_ms"] for i in reps
              if q[i]["lat_p99_ms"] and p[i]["lat_p99_ms"]]
        lines.append("| %s | %s | %s | %s |" % (fmt(groups), workers, mmm(tp, 2),
                                                 mmm(lt, 2)))
    return lines


def precision_table(rows):
    lines = ["| system | runs | all posts created in, ms | created after due "
             "| first receipt late p50, ms | p99, ms | max, ms "
             "| first lease late p50, ms | p99, ms | max, ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (sysname,), rs in sorted(group_runs(rows, ["system"]).items()):
        lname = "lease"
        lines.append("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            sysname, len(rs), mmm([r.get("create_ms") for r in rs]),
            mmm([r["created_after_due"] for r in rs]),
            mmm([r.get("receipt_p50_ms") for r in rs]),
            mmm([r.get("receipt_p99_ms") for r in rs]),
            mmm([r.get("receipt_max_ms") for r in rs]),
            mmm([r.get(lname + "_p50_ms") for r in rs]),
            mmm([r.get(lname + "_p99_ms") for r in rs]),
            mmm([r.get(lname + "_max_ms") for r in rs])))
    return lines


def ceiling_table(rows, fan):
    """Each ceiling's rate; for the HTTP one, the share that qunfa's best fan-out
    of the same repetition (its fastest configuration) reached."""
    lines = ["| ceiling | runs | rate, /s | qunfa's best fan-out of the same repetition "
             "as a share |", "|---|---:|---:|---:|"]
    best = {}
    for r in fan:
        if r["system"] == "qunfa" and r["per_s"]:
            best[r["rep"]] = max(best.get(r["rep"], 0), r["per_s"])
    for (name,), rs in sorted(group_runs(rows, ["name"]).items()):
        shares = [100.0 * best[r["rep"]] / r["per_s"] for r in rs
                  if r.get("compare") and r.get("rep") in best and r["per_s"]]
        lines.append("| %s | %d | %s | %s |" % (
            name, len(rs), mmm([r["per_s"] for r in rs]),
            mmm(shares, 1) + " %" if shares else ""))
    return lines


def limiter_table(rows):
    lines = ["| groups × limit | span | runs | violations (mockchat) "
             "| violations (record) | tightest 21-message span, ms "
             "| achieved ÷ ideal | per group in span, min–max | first receipt late, ms |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for (groups, limit, wms, windows), rs in sorted(group_runs(
            rows, ["groups", "limit", "window_ms", "windows"]).items()):
        lines.append("| %s × %d per %d s | %d × %d s | %d | %s | %s | %s | %s | %s–%s | %s |" % (
            fmt(groups), limit, wms // 1000, windows, wms // 1000, len(rs),
            mmm([r["violations_mockchat"] for r in rs]),
            mmm([r["violations_record"] for r in rs]),
            mmm([r["tightest_span_ms"] for r in rs]),
            mmm([r["achieved_ratio"] for r in rs], 4),
            fmt(min(r["group_min"] for r in rs)), fmt(max(r["group_max"] for r in rs)),
            mmm([r["first_late_ms"] for r in rs])))
    return lines


def cmd_report(a):
    fan = load(a.dir, "fanout.jsonl")
    prec = load(a.dir, "precision.jsonl")
    ceil = load(a.dir, "ceilings.jsonl")
    lim = load(a.dir, "limiter.jsonl")
    meta = load(a.dir, "meta.jsonl")
    out = []
    if meta:
        m = meta[0]
        end = meta[-1].get("load_end")
        out += ["Run of %s, %s mode, %s runs per figure; 1-minute load average %s "
                "at the start, %s at the end (%s cores)." % (
                    m["date"], "quick" if m.get("quick") else "full", m["reps"],
                    m.get("load_start", "?"), end if end is not None else "?",
                    m.get("nproc", "?")), ""]
    if fan:
        out += ["### Fan-out", ""] + fanout_table(fan) + [""]
        if any(r["system"] == "bullmq" for r in fan):
            out += ["### qunfa ÷ BullMQ, fan-out (same repetition)", ""] + \
                ratio_table(fan) + [""]
    if prec:
        out += ["### Firing precision", ""] + precision_table(prec) + [""]
    if ceil:
        out += ["### Ceilings", ""] + ceiling_table(ceil, fan) + [""]
    if lim:
        out += ["### Limiter accuracy (real time, WeCom's 20 per minute)", ""] + \
            limiter_table(lim) + [""]
    print("\n".join(out))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fanout")
    f.add_argument("--system", default="qunfa")
    f.add_argument("--groups", type=int, required=True)
    f.add_argument("--workers", type=int, required=True)
    f.add_argument("--rep", type=int, default=1)
    f.add_argument("--record", required=True)
    f.add_argument("--fanout", required=True)
    f.add_argument("--sched-log")
    f.add_argument("--sched-status")
    f.add_argument("--disp-status", nargs="*")
    f.add_argument("--mdb-stat")
    f.add_argument("--redis-bytes-per-job", type=float)
    p = sub.add_parser("precision")
    p.add_argument("--system", default="qunfa")
    p.add_argument("--record", required=True)
    p.add_argument("--plan", required=True)
    p.add_argument("--rep", type=int, default=1)
    p.add_argument("--create-ms", type=int)
    p.add_argument("--sched-log")
    p.add_argument("--leases")
    p.add_argument("--lease-name", default="lease")
    l = sub.add_parser("limiter")
    l.add_argument("--record", required=True)
    l.add_argument("--stats", required=True)
    l.add_argument("--rep", type=int, default=1)
    for name in ("groups", "limit", "window-ms", "windows", "posts", "due-ms"):
        l.add_argument("--" + name, type=int, required=True)
    r = sub.add_parser("report")
    r.add_argument("dir")
    a = ap.parse_args()
    {"fanout": cmd_fanout, "precision": cmd_precision, "limiter": cmd_limiter,
     "report": cmd_report}[a.cmd](a)


if __name__ == "__main__":
    main()
