"""A bounded load generator: N keep-alive clients POST /api/v1/suggest; prints JSON figures.

Run as its own process (`python -m bench.load_client`), so the client's work does not share
the server's interpreter. Targets 127.0.0.1 only. Given several base URLs (hosts serving one
KB), client n talks to URL n modulo their number, as a load balancer would spread them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

MAX_REQUESTS_PER_CLIENT = 10_000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("urls", nargs="+", help="Base URLs, e.g. http://127.0.0.1:5000")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--payloads", type=Path, required=True, help="JSON list of bodies.")
    arguments = parser.parse_args()
    targets = [urlsplit(url) for url in arguments.urls]
    if any(target.hostname not in {"127.0.0.1", "localhost"} for target in targets):
        raise SystemExit("the load client only targets this machine (127.0.0.1)")
    payloads: list[dict[str, str]] = json.loads(arguments.payloads.read_text())
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + arguments.seconds

    def client(number: int) -> None:
        target = targets[number % len(targets)]
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
        mine: list[float] = []
        errors = 0
        for sent in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() >= deadline:
                break
            chosen = payloads[(number * 7919 + sent) % len(payloads)]
            # A reference number makes every text new, as typing does: no cache answers it.
            unique = {**chosen, "description": f"{chosen['description']} Ref {number}-{sent}."}
            body = json.dumps(unique).encode()
            started = time.perf_counter()
            try:
                connection.request(
                    "POST", "/api/v1/suggest", body, {"Content-Type": "application/json"}
                )
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    errors += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                connection.close()
                connection = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                continue
            mine.append((time.perf_counter() - started) * 1000.0)
        connection.close()
        with lock:
            latencies.extend(mine)
            failures[0] += errors

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(arguments.clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    print(
        json.dumps(
            {
                "requests": len(latencies),
                "errors": failures[0],
                "seconds": elapsed,
                "requests_per_second": len(latencies) / elapsed if elapsed else 0.0,
                "p50_ms": statistics.median(latencies) if latencies else None,
                "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
            }
        )
    )


if __name__ == "__main__":
    main()
