#!/usr/bin/env python3
"""The table and bench/results/latest.json of one bench/compare.sh run.

Reads the RESULT lines compare.sh saved in the run directory (<name>.json), checks that every
consumer got every message, prints the table and writes the JSON. Exit 1 when a run is missing or
incomplete. Only the standard library."""
import argparse
import datetime
import json
import os
import platform
import socket
import sys


def load(directory, name):
    path = os.path.join(directory, name + ".json")
    try:
        with open(path) as f:
            text = f.read().strip()
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem_gb = 0.0
    try:
        with open("/proc/meminfo") as f:
            mem_gb = int(f.readline().split()[1]) / 1024 / 1024
    except (OSError, ValueError, IndexError):
        pass
    load = ""
    try:
        load = open("/proc/loadavg").read().split()[0]
    except OSError:
        pass
    return {"host": socket.gethostname(), "cpu": model, "cores": os.cpu_count(), "memory_gb": round(mem_gb, 1),
            "kernel": platform.release(), "load_average_1m_at_end": load}


def ratio(a, b):
    return a / b if a is not None and b not in (None, 0) else None


def fmt(value, digits=0):
    if value is None:
        return "-"
    if digits == 0:
        return f"{value:,.0f}"
    return f"{value:,.{digits}f}"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--dir", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--size", type=int, required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--consume-batch", type=int, default=1)
    p.add_argument("--producer-count", type=int, default=0)
    p.add_argument("--consume", type=int, default=1)
    p.add_argument("--rate", type=int, required=True)
    p.add_argument("--latency-seconds", type=int, required=True)
    p.add_argument("--namesrv", default="")
    p.add_argument("--elapsed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=1)
    p.add_argument("--failures", default="")
    a = p.parse_args()

    problems = [f for f in a.failures.split(";") if f]
    clients = ("ours", "java", "go")
    drains = {c: [f"{c}_drain"] + [f"{c}_drain_{k}" for k in range(2, a.repeat + 1)] for c in clients}
    producers = [f"prod_{c}_{mode}" for c in clients for mode in ("async", "sync")]
    # With -k K the producers ran K rounds: prod_<name>, prod_<name>_2, ...
    producer_rounds = {p: [p] + [f"{p}_{k}" for k in range(2, a.repeat + 1)] for p in producers}
    runs = {name: load(a.dir, name) for name in
            ["preload", "raw_1", "raw_2", "ours_pair_a", "ours_pair_b"] + [f"{c}_latency" for c in clients] +
            [f"{c}_latency_producer" for c in clients] + drains["ours"] + drains["java"] + drains["go"] +
            [n for p in producers for n in producer_rounds[p]]}
    java_enabled = os.path.exists(os.path.join(a.dir, "java_drain.log"))
    go_enabled = os.path.exists(os.path.join(a.dir, "go_drain.log"))
    latency_count = a.rate * a.latency_seconds

    def check(name, expect):
        r = runs.get(name)
        if r is None:
            problems.append(f"{name}: no result")
            return
        if r.get("total", 0) < expect or r.get("complete", 1) != 1:
            problems.append(f"{name}: got {r.get('total', 0)} of {expect} messages")

    secure = not os.path.exists(os.path.join(a.dir, "raw_1.log"))
    if a.consume:
        check("preload", a.count)
        for name in ([] if secure else ["raw_1", "raw_2"]) + drains["ours"] + \
                (drains["java"] if java_enabled else []) + (drains["go"] if go_enabled else []):
            check(name, a.count)
        check("ours_latency", latency_count)
        if java_enabled:
            check("java_latency", latency_count)
        if go_enabled:
            check("go_latency", latency_count)
    for name in [n for p in producers for n in producer_rounds[p]]:
        if os.path.exists(os.path.join(a.dir, name + ".log")):
            check(name, a.producer_count)
    pair_enabled = os.path.exists(os.path.join(a.dir, "ours_pair_a.log"))
    if pair_enabled:
        check("ours_pair_a", a.count)
        check("ours_pair_b", a.count)

    def per_million(r):
        return r["cpu_s"] / r["total"] * 1e6 if r and r.get("total") else None

    def row(drain, latency):
        return {
            "drain_msgs_per_s": drain.get("throughput") if drain else None,
            "drain_wall_s": drain.get("wall_s") if drain else None,
            "drain_cpu_s": drain.get("cpu_s") if drain else None,
            "cpu_s_per_million": per_million(drain),
            "peak_rss_mb": drain["peak_rss_kb"] / 1024 if drain else None,
            "latency_b2c_p50_ms": latency.get("b2c_p50_ms") if latency else None,
            "latency_b2c_p99_ms": latency.get("b2c_p99_ms") if latency else None,
            "latency_b2c_p999_ms": latency.get("b2c_p999_ms") if latency else None,
            "latency_s2c_p99_ms": latency.get("s2c_p99_ms") if latency else None,
            "latency_cpu_s_per_million": per_million(latency),
            "latency_peak_rss_mb": latency["peak_rss_kb"] / 1024 if latency else None,
        }

    def cpu_split(r):
        """Where the CPU of one run went: user / sys seconds and context switches per message."""
        if not r or not r.get("total"):
            return None
        n = r["total"]
        out = {"user_s_per_million": r.get("cpu_user_s", 0) / n * 1e6,
               "sys_s_per_million": r.get("cpu_sys_s", 0) / n * 1e6,
               "sys_share": r.get("cpu_sys_s", 0) / r["cpu_s"] if r.get("cpu_s") else None}
        if "ctx_voluntary" in r:
            out["voluntary_switches_per_msg"] = r["ctx_voluntary"] / n
            out["involuntary_switches_per_msg"] = r.get("ctx_involuntary", 0) / n
        return out

    raws = [r for r in (runs["raw_1"], runs["raw_2"]) if r]
    raw = max(raws, key=lambda r: r.get("throughput", 0)) if raws else None
    def fastest(names):
        found = [runs[n] for n in names if runs.get(n)]
        whole = [r for r in found if r.get("complete", 1) == 1 and r.get("total", 0) >= a.count]
        found = whole or found  # an incomplete drain only when there is nothing else
        return max(found, key=lambda r: r.get("throughput", 0)) if found else None

    best = {c: fastest(drains[c]) for c in clients}
    table = {"ours": row(best["ours"], runs["ours_latency"]),
             "java": row(best["java"], runs["java_latency"]),
             "go": row(best["go"], runs["go_latency"]),
             "raw": row(raw, None)}
    ours, java, go, raw_row = table["ours"], table["java"], table["go"], table["raw"]
    pair_runs = [runs[n] for n in ("ours_pair_a", "ours_pair_b") if runs.get(n)]
    if len(pair_runs) == 2:
        # One drain by two processes: the pair's distinct count and rate (both report the same
        # figures from the shared set), the sum of their CPU and of their peak RSS.
        pa, pb = pair_runs
        merged = {"total": max(pa["total"], pb["total"]), "throughput": max(pa["throughput"], pb["throughput"]),
                  "wall_s": max(pa["wall_s"], pb["wall_s"]),
                  "peak_rss_kb": pa["peak_rss_kb"] + pb["peak_rss_kb"],
                  "own_totals": [pa.get("own_total"), pb.get("own_total")]}
        for k in ("cpu_s", "cpu_user_s", "cpu_sys_s", "ctx_voluntary", "ctx_involuntary"):
            merged[k] = pa.get(k, 0) + pb.get(k, 0)
        table["ours_pair"] = row(merged, None)
        table["ours_pair"]["own_totals"] = merged["own_totals"]
    cpu = {c: {"drain": cpu_split(best[c]), "latency": cpu_split(runs[f"{c}_latency"])} for c in clients}
    cpu["raw"] = {"drain": cpu_split(raw), "latency": None}
    if "ours_pair" in table:
        cpu["ours_pair"] = {"drain": cpu_split(merged), "latency": None}
    ratios = {
        "ours_java": {k: ratio(ours[k], java[k]) for k in ours},
        "ours_go": {k: ratio(ours[k], go[k]) for k in ours},
        "ours_raw": {k: ratio(ours[k], raw_row[k]) for k in
                     ["drain_msgs_per_s", "cpu_s_per_million", "peak_rss_mb"]},
    }
    rj, rg, rr = ratios["ours_java"], ratios["ours_go"], ratios["ours_raw"]

    # Producer comparison: send TPS and CPU s per million of every producer run.
    producer_table = {}
    for name in producers:
        rounds = [runs[n] for n in producer_rounds[name] if runs.get(n)]
        r = max(rounds, key=lambda x: x.get("throughput", 0)) if rounds else None
        if r:
            producer_table[name[len("prod_"):]] = {
                "send_msgs_per_s": r.get("throughput"), "wall_s": r.get("wall_s"),
                "cpu_s_per_million": per_million(r), "peak_rss_mb": r.get("peak_rss_kb", 0) / 1024,
                "rt_p99_ms": r.get("rt_p99_ms"), "split": cpu_split(r)}
    producer_ratios = {}
    for peer in ("java", "go"):
        for mode in ("async", "sync"):
            o, q = producer_table.get(f"ours_{mode}"), producer_table.get(f"{peer}_{mode}")
            if o and q:
                producer_ratios[f"ours_{peer}_{mode}"] = {
                    "send_msgs_per_s": ratio(o["send_msgs_per_s"], q["send_msgs_per_s"]),
                    "cpu_s_per_million": ratio(o["cpu_s_per_million"], q["cpu_s_per_million"]),
                    "peak_rss_mb": ratio(o["peak_rss_mb"], q["peak_rss_mb"])}
    pj = producer_ratios.get("ours_java_async", {})

    def target(value, ok):
        return None if value is None else bool(ok(value))

    targets = {
        "drain >= 1.5x Java": target(rj["drain_msgs_per_s"], lambda v: v >= 1.5),
        "drain >= 1.5x Go": target(rg["drain_msgs_per_s"], lambda v: v >= 1.5),
        "drain >= 90% of raw": target(rr["drain_msgs_per_s"], lambda v: v >= 0.9),
        "CPU/M <= 0.25x Java": target(rj["cpu_s_per_million"], lambda v: v <= 0.25),
        "peak RSS <= 0.2x Java": target(rj["peak_rss_mb"], lambda v: v <= 0.2),
        "p99 below Java": target(rj["latency_b2c_p99_ms"], lambda v: v < 1.0),
        "p99 <= 0.5x Java": target(rj["latency_b2c_p99_ms"], lambda v: v <= 0.5),
        "async send >= 1.5x Java": target(pj.get("send_msgs_per_s"), lambda v: v >= 1.5),
        "async send CPU/M <= 0.25x Java": target(pj.get("cpu_s_per_million"), lambda v: v <= 0.25),
    }

    micro = load(a.dir, "micro")
    callgrind = load(a.dir, "callgrind")
    now = datetime.datetime.now().astimezone()
    info = machine()
    pre = runs["preload"] or {}

    out = sys.stdout
    print("", file=out)
    print(f"rocketmq-cpp vs Java rocketmq-client 5.3.3 vs Go rocketmq-client-go v2 -- {now:%Y-%m-%d %H:%M %Z}, "
          f"{info['cpu']} x{info['cores']}, load {info['load_average_1m_at_end']}", file=out)
    if a.consume:
        print(f"backlog {a.count:,} x {a.size} B on 2 brokers x 8 queues; {a.threads} consume threads; "
              f"consume batch {a.consume_batch}; "
              f"{'fastest of %d drains each; ' % a.repeat if a.repeat > 1 else ''}"
              f"preload {fmt(pre.get('throughput'))} msg/s ({fmt(pre.get('wall_s'), 1)} s); "
              f"latency runs {a.rate:,} msg/s x {a.latency_seconds} s", file=out)
        print("", file=out)
        header = (f"{'':16}{'drain msg/s':>12}{'CPU s/M msg':>13}{'peak RSS MB':>13}"
                  f"{'p50 ms':>9}{'p99 ms':>9}{'p999 ms':>9}{'S2C p99':>9}{'lat CPU s/M':>13}{'lat RSS MB':>12}")
        print(header, file=out)
        print("-" * len(header), file=out)

        def line(label, r, digits=0):
            d = 2 if digits else 0
            print(f"{label:16}{fmt(r.get('drain_msgs_per_s'), d):>12}{fmt(r.get('cpu_s_per_million'), 2):>13}"
                  f"{fmt(r.get('peak_rss_mb'), 1 if not digits else 2):>13}"
                  f"{fmt(r.get('latency_b2c_p50_ms'), d):>9}{fmt(r.get('latency_b2c_p99_ms'), d):>9}"
                  f"{fmt(r.get('latency_b2c_p999_ms'), d):>9}{fmt(r.get('latency_s2c_p99_ms'), d):>9}"
                  f"{fmt(r.get('latency_cpu_s_per_million'), 2):>13}{fmt(r.get('latency_peak_rss_mb'), 1 if not digits else 2):>12}",
                  file=out)
    if a.consume:
        line("ours (C++)", ours)
        line("Java 5.3.3", java)
        line("Go v2", go)
        if "ours_pair" in table:
            line("ours pair (2x)", table["ours_pair"])
        line("raw pull limit", raw_row)
        line("ours / Java", rj, digits=2)
        line("ours / Go", rg, digits=2)
        line("ours / raw", rr, digits=2)
        print("", file=out)
        print("where the CPU goes (drain | latency run): user s/M, sys s/M, sys share, "
              "voluntary + involuntary context switches per message", file=out)
        for label, c in (("ours (C++)", "ours"), ("Java 5.3.3", "java"), ("Go v2", "go"),
                         ("ours pair (2x)", "ours_pair"), ("raw pull", "raw")):
            if c not in cpu:
                continue
            parts = []
            for phase in ("drain", "latency"):
                x = cpu[c][phase]
                if x is None:
                    parts.append(f"{'-':>44}")
                    continue
                cs = (f"{x['voluntary_switches_per_msg']:.3f}+{x['involuntary_switches_per_msg']:.3f}"
                      if "voluntary_switches_per_msg" in x else "-")
                share = f"{x['sys_share'] * 100:.0f}%" if x.get("sys_share") is not None else "-"
                parts.append(f"{x['user_s_per_million']:8.2f}{x['sys_s_per_million']:8.2f}{share:>6}{cs:>22}")
            if any(cpu[c][p] for p in ("drain", "latency")):
                print(f"  {label:14}" + " | ".join(parts), file=out)
        if best.get("ours") and best["ours"].get("pull_turnaround_us") is not None:
            # Our consumer's own share of each pull loop's round trip, and its flow-control stalls.
            print(f"  pull loop (ours, drain): {best['ours']['pull_turnaround_us']:.1f} us from an answer to the "
                  f"next pull; {best['ours'].get('flow_control_pauses', 0):,} flow-control pauses of 50 ms",
                  file=out)
        print("", file=out)
    if producer_table:
        print(f"producers: {a.producer_count:,} x {a.size} B from 4 threads, each into a fresh topic"
              f"{'; fastest of %d rounds each' % a.repeat if a.repeat > 1 else ''}", file=out)
        ph = f"{'':16}{'send msg/s':>12}{'CPU s/M msg':>13}{'user s/M':>10}{'sys s/M':>9}{'cs/msg':>8}{'RSS MB':>9}{'RT p99 ms':>11}"
        print(ph, file=out)
        print("-" * len(ph), file=out)
        for key in ("ours_async", "ours_sync", "java_async", "java_sync", "go_async", "go_sync"):
            r = producer_table.get(key)
            if not r:
                continue
            x = r["split"] or {}
            cs = x.get("voluntary_switches_per_msg", 0) + x.get("involuntary_switches_per_msg", 0) \
                if "voluntary_switches_per_msg" in x else None
            print(f"{key:16}{fmt(r['send_msgs_per_s']):>12}{fmt(r['cpu_s_per_million'], 2):>13}"
                  f"{fmt(x.get('user_s_per_million'), 2):>10}{fmt(x.get('sys_s_per_million'), 2):>9}"
                  f"{fmt(cs, 2):>8}{fmt(r['peak_rss_mb'], 1):>9}{fmt(r['rt_p99_ms'], 2):>11}", file=out)
        for key, r in producer_ratios.items():
            print(f"{key.replace('ours_', 'ours / ').replace('_', ' '):16}{fmt(r['send_msgs_per_s'], 2):>12}"
                  f"{fmt(r['cpu_s_per_million'], 2):>13}{'':10}{'':9}{'':8}{fmt(r['peak_rss_mb'], 2):>9}", file=out)
        print("", file=out)
    print("targets: " + "; ".join(f"{k}: {'-' if v is None else ('met' if v else 'MISSED')}"
                                  for k, v in targets.items()), file=out)
    if callgrind:
        ir = callgrind.get("ir_per_message", {})
        print("callgrind instructions/message: " + ", ".join(f"{k} {v:,}" for k, v in ir.items()), file=out)
    if micro:
        print("micro (ns/msg, best of 3): " + ", ".join(f"{m['name']} {m['ns_per_msg']:.1f}" for m in micro), file=out)
    if problems:
        print("PROBLEMS: " + "; ".join(problems), file=out)
    print("", file=out)

    document = {
        "date": now.isoformat(timespec="seconds"),
        "machine": info,
        "parameters": {"messages": a.count, "body_bytes": a.size, "consume_threads": a.threads,
                       "consume_batch": a.consume_batch, "producer_messages": a.producer_count,
                       "latency_rate": a.rate, "latency_seconds": a.latency_seconds, "namesrv": a.namesrv,
                       "drains_per_consumer": a.repeat,
                       "java_opts": (runs["java_drain"] or {}).get("jvm")},
        "preload": pre,
        "table": table,
        "ratios": ratios,
        "cpu_split": cpu,
        "producers": producer_table,
        "producer_ratios": producer_ratios,
        "targets": targets,
        "runs": runs,
        "micro": micro,
        "callgrind": callgrind,
        "compare_seconds": a.elapsed,
        "problems": problems,
        "ok": not problems,
    }
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(document, f, indent=2)
        f.write("\n")
    with open(os.path.join(a.dir, "result.json"), "w") as f:
        json.dump(document, f, indent=2)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
