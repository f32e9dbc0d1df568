"""Load benchmark of the HTTP API: one client alone, then 50 concurrent clients x 10 questions; p50/p95 of each.

    .venv/bin/python -m bench.load                 # seeds index under bench/_work/load/, starts `rag serve --api-key`
    .venv/bin/python -m bench.load --index index   # another index
    .venv/bin/python -m bench.load --url http://127.0.0.1:7860 --api-key KEY   # a running server (127.0.0.1 only)

Every request is a non-streamed ``POST /v1/chat/completions`` with a question of the seed gold set
(``eval/seeds_gold.jsonl``: Chinese and English, some unanswerable); a refusal is an answer. Bounded:
a per-request timeout and a deadline for the whole run. Writes ``bench/load_results.{md,json}``
(``--out``). Exit status 0 when every request was answered.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from bench.common import ROOT, WORK, load_avg, pct

QUESTIONS_FILE = ROOT / "eval" / "seeds_gold.jsonl"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass
class Client:
    """One client's outcome."""

    latencies: list[float] = field(default_factory=list)
    server_ms: list[float] = field(default_factory=list)
    refused: int = 0
    errors: list[str] = field(default_factory=list)


def questions() -> list[str]:
    return [json.loads(line)["question"] for line in QUESTIONS_FILE.read_text(encoding="utf-8").splitlines() if line.strip()]


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seeds_index() -> Path:
    """A seeds index under bench/_work/load/ (built once with the default embedder)."""
    index = WORK / "load" / "index"
    if not (index / "CURRENT").is_file():
        subprocess.run([sys.executable, "-m", "rag.cli", "ingest", str(ROOT / "seeds"), "--index", str(index)], check=True)
    return index


@contextmanager
def server(index: Path, key: str, timeout: float, log: Path) -> Iterator[str]:
    """``rag serve --api-key`` (UI and API on one port) in a subprocess on a free 127.0.0.1 port."""
    port = free_port()
    cmd = [sys.executable, "-m", "rag.cli", "serve", "--index", str(index), "--port", str(port), "--api-key", key]
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "TQDM_DISABLE": "1"})
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while True:
                if proc.poll() is not None:
                    raise SystemExit(f"server exited with status {proc.returncode}; see {log}")
                try:
                    if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"server not up after {timeout:.0f}s; see {log}")
                time.sleep(0.5)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


def client_run(url: str, key: str, qs: list[str], start: threading.Barrier, deadline: float, out: Client) -> None:
    """Wait for every client, then ask each question in turn and time it."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120) as http:
        try:
            start.wait()
        except threading.BrokenBarrierError:
            return
        for q in qs:
            if time.monotonic() > deadline:
                out.errors.append("run deadline passed")
                return
            t = time.perf_counter()
            try:
                r = http.post("/v1/chat/completions", json={"model": "rag-extractive", "messages": [{"role": "user", "content": q}]})
                took = time.perf_counter() - t
                if r.status_code != 200:
                    out.errors.append(f"{r.status_code}: {r.text[:200]}")
                    continue
                body = r.json()
                message = body["choices"][0]["message"]
                if not message["content"]:
                    out.errors.append(f"empty answer to {q!r}")
                    continue
                out.latencies.append(took)
                out.server_ms.append(float(body["rag"]["timings"].get("total_ms", 0.0)))
                out.refused += bool(message["refused"])
            except (httpx.HTTPError, KeyError, ValueError) as e:
                out.errors.append(f"{q!r}: {type(e).__name__}: {e}")


def phase(url: str, key: str, clients: int, rounds: int, deadline_s: float) -> dict[str, Any]:
    """``clients`` concurrent clients asking ``rounds`` questions each; latency figures over every request."""
    qs = questions()
    results = [Client() for _ in range(clients)]
    start = threading.Barrier(clients)
    deadline = time.monotonic() + deadline_s
    threads = [
        threading.Thread(
            target=client_run,
            args=(url, key, [qs[(i * rounds + j) % len(qs)] for j in range(rounds)], start, deadline, r),
            daemon=True,
        )
        for i, r in enumerate(results)
    ]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(deadline_s + 60)
    wall = time.perf_counter() - t0
    lat = [x * 1000 for r in results for x in r.latencies]
    srv = [x for r in results for x in r.server_ms]
    errors = [e for r in results for e in r.errors]
    return {
        "clients": clients,
        "questions_per_client": rounds,
        "requests": clients * rounds,
        "answered": len(lat),
        "refused": sum(r.refused for r in results),
        "errors": len(errors),
        "first_errors": errors[:5],
        "wall_s": round(wall, 2),
        "answers_per_s": round(len(lat) / wall, 2) if wall else 0.0,
        "p50_ms": round(pct(lat, 50), 1),
        "p95_ms": round(pct(lat, 95), 1),
        "max_ms": round(max(lat), 1) if lat else None,
        "server_p50_ms": round(pct(srv, 50), 1),
        "server_p95_ms": round(pct(srv, 95), 1),
    }


def report(results: dict[str, Any]) -> str:
    rows = [
        "| run | requests | answered (refused) | errors | p50 ms | p95 ms | max ms | answers/s | server p50 / p95 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in ("single", "concurrent"):
        r = results[name]
        rows.append(
            f"| {r['clients']} client(s) x {r['questions_per_client']} | {r['requests']} | {r['answered']} ({r['refused']}) | "
            f"{r['errors']} | {r['p50_ms']} | {r['p95_ms']} | {r['max_ms']} | {r['answers_per_s']} | "
            f"{r['server_p50_ms']} / {r['server_p95_ms']} |"
        )
    m, c = results["machine"], results["concurrent"]
    little = c["clients"] / c["answers_per_s"] if c["answers_per_s"] else float("nan")
    return "\n".join(
        [
            "# HTTP API load benchmark (`python -m bench.load`)",
            "",
            f"`rag serve --api-key` (UI and API on one port, 127.0.0.1), index `{results['index']}`; every request a "
            "non-streamed `POST /v1/chat/completions` (`rag-extractive`) with a question of `eval/seeds_gold.jsonl` "
            "(zh + en, some unanswerable: a refusal is an answer). Latency is the client's, queueing included; "
            "server p50/p95 is the assistant's own `total_ms`.",
            "",
            *rows,
            "",
            f"Under load the server's own time per answer stays near the single-client figure; the client's wait grows "
            f"with the queue: {c['clients']} clients at {c['answers_per_s']} answers/s wait about {little:.1f} s a question "
            f"(clients / throughput), the order of the measured p50 and p95. Failed requests (503 busy included): {c['errors']}.",
            "",
            f"Machine: {m['cpus']} CPUs, load average before the run {m['load_before']}, after {m['load_after']}; "
            f"server question workers: {m['workers']}. {m['note']}",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--url", help="a running server on 127.0.0.1 (default: start one)")
    p.add_argument("--api-key", default=os.environ.get("RAG_API_KEY"), help="its key, for --url")
    p.add_argument("--index", type=Path, help="index for the started server (default: the seeds, built once)")
    p.add_argument("--clients", type=int, default=50)
    p.add_argument("--rounds", type=int, default=10, help="questions per client, one after another")
    p.add_argument("--single", type=int, default=50, help="questions the lone client asks first")
    p.add_argument("--deadline", type=float, default=900, help="seconds for each phase at most")
    p.add_argument("--startup-timeout", type=float, default=600)
    p.add_argument("--note", default="", help="a line for the report (e.g. that the machine was shared)")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "load_results")
    args = p.parse_args(argv)
    if not 1 <= args.clients <= 200 or not 1 <= args.rounds <= 100:
        p.error("--clients must be 1..200 and --rounds 1..100")
    if args.url and urlparse(args.url).hostname not in LOCAL_HOSTS:
        p.error(f"--url must be on 127.0.0.1 (this benchmark does not load other machines), got {args.url}")
    workers = int(os.environ.get("RAG_API_WORKERS") or min(4, os.cpu_count() or 2))
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "load_before": load_avg(), "workers": workers,
                                           "note": args.note}}

    def measure(url: str, key: str) -> None:
        phase(url, key, 1, 5, args.deadline)  # warm-up, not counted
        results["single"] = phase(url, key, 1, args.single, args.deadline)
        print(json.dumps(results["single"]), flush=True)
        results["concurrent"] = phase(url, key, args.clients, args.rounds, args.deadline)
        print(json.dumps(results["concurrent"]), flush=True)

    if args.url:
        results["index"] = "(running server)"
        measure(args.url.rstrip("/"), args.api_key or "")
    else:
        index = args.index or seeds_index()
        results["index"] = str(index.relative_to(ROOT) if index.is_relative_to(ROOT) else index)
        key = secrets.token_urlsafe(16)
        with server(index, key, args.startup_timeout, WORK / "load" / "server.log") as url:
            measure(url, key)
    results["machine"]["load_after"] = load_avg()
    args.out.with_suffix(".json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    args.out.with_suffix(".md").write_text(report(results))
    print(report(results))
    ok = all(results[k]["answered"] == results[k]["requests"] for k in ("single", "concurrent"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
