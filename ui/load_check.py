"""Load check: N concurrent gradio_client clients ask one server; all must be answered; prints p50/p95 latency.

    python -m rag.ui.load_check --index index            # starts `rag serve` on a free port, then asks
    python -m rag.ui.load_check --url http://127.0.0.1:7860/ [--auth user:pass]

Exit status 0 when every request was answered, 1 otherwise.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .app import parse_auth

QUESTIONS = (
    "which cities were named in 2015?",
    "哪些城市在2015年成为第二批全国质量强市示范城市?",
    "目前已经命名的全国质量强市示范城市有多少个?",
    "包头市城市质量发展大会在哪里召开?",
    "聊城实施质量强市战略动员暨科学技术奖励大会上表彰了什么?",
)


@dataclass
class Result:
    """One client's outcome."""

    latencies: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, proc: subprocess.Popen | None, timeout: float) -> None:
    """Poll ``url`` until it answers (the server loads models and warms up first)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"server exited with status {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"server at {url} not up after {timeout:.0f}s")


@contextmanager
def server(index: Path, auth: str | None, timeout: float) -> Iterator[str]:
    """`rag serve` in a subprocess on a free port; yields its URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "rag.cli", "serve", "--index", str(index), "--port", str(port)]
    if auth:
        cmd += ["--auth", auth]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "TQDM_DISABLE": "1"}
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, proc, timeout)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def client_run(
    url: str, auth: tuple[str, str] | None, questions: list[str], start: threading.Barrier, out: Result
) -> None:
    """Connect, wait for everyone, then ask each question in turn and time it."""
    from gradio_client import Client

    try:
        client = Client(url, auth=auth, verbose=False)
    except Exception as e:
        out.errors.append(f"connect: {type(e).__name__}: {e}")
        start.abort()
        return
    try:
        start.wait()
    except threading.BrokenBarrierError:
        return
    for q in questions:
        t = time.perf_counter()
        try:
            text, sources = client.predict(q, api_name="/ask")
            out.latencies.append(time.perf_counter() - t)
            out.server_ms.append(float(sources.get("timings", {}).get("total_ms", 0.0)))
            if not text:
                out.errors.append(f"empty answer to {q!r}")
        except Exception as e:
            out.errors.append(f"{q!r}: {type(e).__name__}: {e}")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ranked = sorted(values)
    return ranked[max(0, math.ceil(p / 100 * len(ranked)) - 1)]


def run(url: str, clients: int, rounds: int, auth: str | None) -> int:
    pair = parse_auth(auth)
    results = [Result() for _ in range(clients)]
    mark: dict[str, float] = {}
    start = threading.Barrier(clients, action=lambda: mark.update(wall=time.perf_counter(), cpu=time.process_time()))
    threads = []
    for i, r in enumerate(results):
        qs = [QUESTIONS[(i + j) % len(QUESTIONS)] for j in range(rounds)]
        threads.append(threading.Thread(target=client_run, args=(url, pair, qs, start, r), daemon=True))
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    asking = (time.perf_counter() - mark["wall"], time.process_time() - mark["cpu"]) if mark else (0.0, 0.0)
    lat = [x for r in results for x in r.latencies]
    srv = [x for r in results for x in r.server_ms]
    errors = [e for r in results for e in r.errors]
    asked = clients * rounds
    print(f"{clients} concurrent clients x {rounds} question(s) = {asked} requests against {url}")
    print(f"answered {len(lat)}/{asked}, failed {len(errors)}; wall {wall:.1f}s incl. connecting")
    print(f"asking phase: {asking[0]:.1f}s wall; the clients' own CPU {asking[1]:.1f}s (on {os.cpu_count()} cores)")
    if lat:
        print(
            f"latency (client, s): p50 {percentile(lat, 50):.2f}  p95 {percentile(lat, 95):.2f}  "
            f"max {max(lat):.2f}  mean {statistics.mean(lat):.2f}"
        )
        print(f"server total_ms per answer: p50 {percentile(srv, 50):.0f}  p95 {percentile(srv, 95):.0f}")
    for e in errors[:10]:
        print(f"  error: {e}")
    return 0 if len(lat) == asked and not errors else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--url", help="a running server")
    where.add_argument("--index", type=Path, help="start `rag serve --index INDEX` for the check")
    p.add_argument("--clients", type=int, default=20)
    p.add_argument("--rounds", type=int, default=1, help="questions per client, asked one after another")
    p.add_argument("--auth", help="user:password if the server uses basic auth")
    p.add_argument("--startup-timeout", type=float, default=180)
    args = p.parse_args(argv)
    if args.url:
        return run(args.url, args.clients, args.rounds, args.auth)
    with server(args.index, args.auth, args.startup_timeout) as url:
        return run(url, args.clients, args.rounds, args.auth)


if __name__ == "__main__":
    sys.exit(main())
