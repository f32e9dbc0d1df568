"""The issue-12 "must show" run: the seeds through the CLI into a folder, a Milvus Lite file and a milvus-lite server.

    python -m bench.stores_must_show [--work DIR] [--out bench/stores_must_show.json]

For each index location: ``rag ingest seeds --index LOC`` (the real default embedder), then through
``Assistant.load(index_dir=LOC)``: the rank of the six-city chunk for the Chinese 2015 question and
for "which cities were named in 2015?", every seed question asked (correct = every answer part in
the answer), then ``rag remove 000_134084127a1d6434.txt --index LOC`` and the Chinese question again.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.common import ROOT, WORK, emit, load_avg

ZH = "哪些城市在2015年成为第二批全国质量强市示范城市?"
EN = "which cities were named in 2015?"
SHENZHEN = "000_134084127a1d6434.txt"
CITIES = ("南京", "南通", "温州", "台州", "鹤壁", "泸州")
RAG = [str(Path(sys.executable).with_name("rag"))]


def _rank(assistant, question: str, k: int) -> int | None:  # type: ignore[no-untyped-def]
    """1-based rank of the first chunk naming all six cities, among the top ``k``."""
    r = assistant.retriever
    for i, h in enumerate(r.search(r.analyze(question), k), 1):
        if all(c in h.chunk.text for c in CITIES):
            return i
    return None


def _check(loc: str) -> dict:
    from rag import Assistant
    from rag.evaluation.dataset import load_dataset
    from rag.evaluation.metrics import is_correct

    out: dict = {"index": loc}
    t = time.perf_counter()
    ing = subprocess.run([*RAG, "ingest", str(ROOT / "seeds"), "--index", loc], capture_output=True, text=True, timeout=1800)
    out["ingest"] = {"rc": ing.returncode, "stdout": ing.stdout.strip()[-300:], "seconds": round(time.perf_counter() - t, 1)}
    a = Assistant.load(index_dir=loc)
    out["six_city_rank_zh_top3"] = _rank(a, ZH, 3)
    out["six_city_rank_en_top5"] = _rank(a, EN, 5)
    questions = load_dataset(ROOT / "eval" / "seeds_gold.jsonl").questions
    correct, answerable = 0, 0
    per_q = {}
    for q in questions:
        ans = a.ask(q.question)
        if q.answerable:
            answerable += 1
            ok = is_correct("" if ans.refused else ans.text, q.answer_parts, q.answers)
            correct += bool(ok)
            per_q[q.id] = bool(ok)
        else:
            per_q[q.id] = ans.refused
    out["seed_questions"] = {"answerable": answerable, "correct": correct, "per_question": per_q}
    a.store.close()  # a Milvus Lite file is served by one process at a time: let the CLI have it
    rm = subprocess.run([*RAG, "remove", SHENZHEN, "--index", loc], capture_output=True, text=True, timeout=600)
    out["remove"] = {"rc": rm.returncode, "stdout": rm.stdout.strip()}
    a = Assistant.load(index_dir=loc)
    r = a.retriever
    out["after_remove_shenzhen_in_top50"] = any(h.chunk.doc_id == SHENZHEN for h in r.search(r.analyze(ZH), 50))
    out["after_remove_document"] = a.store.document(SHENZHEN) is not None
    return out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--work", type=Path, default=WORK / "must_show")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "stores_must_show.json")
    a = p.parse_args()
    shutil.rmtree(a.work, ignore_errors=True)
    a.work.mkdir(parents=True)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("milvus-lite")), "server", "--data-dir", str(a.work / "server"),
         "--host", "127.0.0.1", "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        started = time.strftime("%Y-%m-%d %H:%M:%S %z")
        rows = [_check(loc) for loc in (str(a.work / "index"), str(a.work / "m.db"), f"http://127.0.0.1:{port}")]
    finally:
        server.terminate()
        server.wait(timeout=60)
    folder = rows[0]["seed_questions"]["correct"]
    result = {"started": started, "load_after": load_avg(), "rows": rows,
              "within_one_question_of_folder": [abs(r["seed_questions"]["correct"] - folder) <= 1 for r in rows]}
    a.out.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    emit(result)


if __name__ == "__main__":
    main()
