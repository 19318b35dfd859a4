#!/usr/bin/env python3
"""HTTP load for the discovery benchmark (standard library only).

  load.py register BASE URL_PREFIX N CONCURRENCY   POST N providers, print seconds
  load.py latency  BASE QUERY COUNT [CONTAINS]      GET BASE/v1/offerings?QUERY COUNT times,
                                                    print p50 and p99 in milliseconds and the
                                                    number of offerings answered

Every benchmark query is meant to match: a latency measured on an empty answer says nothing,
so an empty answer (or answers that differ between requests) fails the run. With CONTAINS,
every offering answered must have it in its name, case-insensitively (the text search).
"""
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse


def connection(base):
    u = urllib.parse.urlparse(base)
    return http.client.HTTPConnection(u.hostname, u.port, timeout=60)


def register_headers():
    # Registration is the admin's: run.sh exports the token `mpli up` wrote to its state dir.
    headers = {"Content-Type": "application/json"}
    token = os.environ.get("MPLI_TOKEN", "")
    if token:
        headers["Authorization"] = "Bearer " + token
    return headers


def register(base, prefix, n, concurrency):
    next_index = [0]
    lock = threading.Lock()
    failures = []

    def worker():
        conn = connection(base)
        while True:
            with lock:
                i = next_index[0]
                next_index[0] += 1
            if i >= n:
                return
            body = json.dumps({"manifest_url": f"{prefix}p{i}.ttl"})
            for attempt in range(3):
                try:
                    conn.request("POST", "/v1/providers", body, register_headers())
                    r = conn.getresponse()
                    data = r.read()
                    if r.status not in (200, 201):
                        failures.append((i, r.status, data[:200]))
                    break
                except (http.client.HTTPException, OSError):
                    conn = connection(base)

    start = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    if failures:
        print(f"failures: {len(failures)} first: {failures[:3]}", file=sys.stderr)
    print(f"{elapsed:.2f}")
    return 0 if not failures else 1


def latency(base, query, count, contains=None):
    conn = connection(base)
    samples = []
    path = "/v1/offerings?" + query
    results = None
    for _ in range(count):
        start = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        samples.append((time.perf_counter() - start) * 1000)
        if r.status != 200:
            print(f"HTTP {r.status} for {path}", file=sys.stderr)
            return 1
        if results is None:
            offerings = json.loads(body)["offerings"]
            results = len(offerings)
            names = [o.get("name", "") for o in offerings]
            if contains is not None:
                wrong = [n for n in names if contains.lower() not in n.lower()]
                if wrong:
                    print(f"{path}: answered offerings without '{contains}': {wrong[:3]}",
                          file=sys.stderr)
                    return 1
        elif len(json.loads(body)["offerings"]) != results:
            print(f"{path}: the number of results changed between requests", file=sys.stderr)
            return 1
    if not results:
        print(f"{path}: no results; the query is meant to match, so its latency means nothing",
              file=sys.stderr)
        return 1
    samples.sort()
    p50 = samples[len(samples) // 2]
    p99 = samples[min(len(samples) - 1, int(len(samples) * 0.99))]
    print(f"{p50:.2f} {p99:.2f} {results}")
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "register":
        sys.exit(register(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
    if sys.argv[1] == "latency":
        sys.exit(latency(sys.argv[2], sys.argv[3], int(sys.argv[4]),
                         sys.argv[5] if len(sys.argv) > 5 else None))
    sys.exit(2)
