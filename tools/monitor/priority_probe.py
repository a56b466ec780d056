#!/usr/bin/env python3
"""Measures what the monitor lane adds to /v1/classify latency on a running `haloguard serve`.

Sends --requests sequential short /v1/classify requests with the monitor lane idle, then again
while monitor jobs (long documents) are running, and prints both latency distributions as JSON.
The stated bound (docs/MONITOR.md): saturated latency <= idle latency + one background chunk.
Standard library only.  Usage:
  tools/monitor/priority_probe.py --url http://127.0.0.1:8000 [--requests 20] [--jobs 2]
"""
import argparse
import json
import statistics
import time
import urllib.request

TEXT = "How do I bake a loaf of sourdough bread at home without a starter kit?"


def call(url, method="GET", body=None, key=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if key:
        req.add_header("Authorization", "Bearer " + key)
    with urllib.request.urlopen(req, timeout=600) as r:
        return r.status, json.loads(r.read() or b"{}")


def latencies(base, n, key):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        status, body = call(base + "/v1/classify", "POST", {"query": TEXT}, key)
        out.append((time.perf_counter() - t0) * 1e3)
        if status != 200 or "safety_label" not in body:
            raise SystemExit(f"classify: expected 200 with safety_label, got {status}: {body}")
    return out


def wait_ready(base, key, seconds=300):
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if call(base + "/health", key=key)[1].get("ready"):
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{base}/health never said ready within {seconds} s")


def summary(ms):
    s = sorted(ms)
    pick = lambda q: s[min(len(s) - 1, int(round(q * (len(s) - 1))))]
    return {"n": len(s), "p50_ms": round(pick(0.5), 1), "p95_ms": round(pick(0.95), 1),
            "max_ms": round(s[-1], 1), "mean_ms": round(statistics.mean(s), 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--requests", type=int, default=20)
    ap.add_argument("--jobs", type=int, default=2, help="monitor jobs submitted (long documents)")
    ap.add_argument("--doc-words", type=int, default=30000, help="words per monitor document")
    ap.add_argument("--api-key", default=None)
    a = ap.parse_args()
    wait_ready(a.url, a.api_key)
    latencies(a.url, 2, a.api_key)  # warm-up
    idle = latencies(a.url, a.requests, a.api_key)
    doc = " ".join(f"paragraph {i} of a long report about gardening and weather." for i in range(a.doc_words // 9))
    ids = []
    for _ in range(a.jobs):
        status, job = call(a.url + "/v1/monitor/jobs", "POST", {"document": doc}, a.api_key)
        if status != 202:
            raise SystemExit(f"monitor job: expected 202, got {status}: {job}")
        ids.append(job["id"])
    deadline = time.time() + 60
    while call(a.url + "/v1/monitor/jobs/" + ids[0], key=a.api_key)[1].get("status") != "running":
        if time.time() > deadline:
            raise SystemExit("monitor job never started running")
        time.sleep(0.05)
    busy = latencies(a.url, a.requests, a.api_key)
    states = [call(a.url + "/v1/monitor/jobs/" + i, key=a.api_key)[1] for i in ids]
    still_running = [s["status"] for s in states]
    for i in ids:
        call(a.url + "/v1/monitor/jobs/" + i, "DELETE", None, a.api_key)
    print(json.dumps({"idle": summary(idle), "monitor_running": summary(busy),
                      "job_status_after": still_running,
                      "p50_added_ms": round(summary(busy)["p50_ms"] - summary(idle)["p50_ms"], 1),
                      "max_added_ms": round(max(busy) - max(idle), 1)}, indent=2))
    if "running" not in still_running:
        raise SystemExit("the monitor lane was not busy for the whole second phase; raise --doc-words")


if __name__ == "__main__":
    main()
