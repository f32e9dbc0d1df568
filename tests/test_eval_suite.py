"""The evaluation suite on a tiny two-set folder (the seeds as JSONL corpora): report, groups, negative rejection."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.cli import main as cli_main
from rag.evaluation.suite import load_set, run_suite

from .conftest import ROOT, SEEDS

GOLD = ROOT / "eval" / "seeds_gold.jsonl"


def _write_set(folder: Path, ids: list[str], source: str) -> None:
    folder.mkdir(parents=True)
    docs = [{"id": f.name, "title": "", "date": "", "text": f.read_text(encoding="utf-8")} for f in sorted(SEEDS.iterdir())]
    (folder / "corpus.jsonl").write_text("\n".join(json.dumps(d, ensure_ascii=False) for d in docs), encoding="utf-8")
    rows = {json.loads(x)["id"]: json.loads(x) for x in GOLD.read_text(encoding="utf-8").splitlines() if x.strip()}
    lines = [json.dumps({**rows[i], "source": source}, ensure_ascii=False) for i in ids]
    (folder / "qa.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("suite")
    _write_set(root / "alpha", ["seed-zh-01", "seed-zh-02", "seed-zh-03", "seed-en-05"], "a")
    _write_set(root / "beta", ["seed-zh-10", "seed-neg-01"], "b")
    (root / "notes").mkdir()  # a folder without qa.jsonl/corpus.jsonl is not a set
    return root


def test_suite_runs_every_set_with_negative_rejection(suite: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("RAG_EMBEDDER", "hash")  # the plumbing, fast; the real embedder is measured by the suite itself
    out = tmp_path / "report"
    assert cli_main(["eval", "--suite", str(suite), "--per-set", "3", "--negatives", "2", "--out", str(out)]) == 0
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert set(report["sets"]) == {"alpha", "beta"}
    alpha = report["sets"]["alpha"]
    assert alpha["questions"] == 3  # the per-set sample
    assert {"all", "lang=zh"} <= set(alpha["summary"])
    neg = alpha["negative_rejection"]
    assert neg["questions"] == 2 and neg["gold_docs_removed"] >= 1 and 0.0 <= neg["rejection"] <= 1.0
    for d in neg["details"]:  # without its gold article a question is refused or still right, else counted wrong
        assert d["refused"] or d["still_right"] or neg["wrong_answers"] >= 1
    # the removal happened on a copy: the cached index still holds every article
    from rag.store import IndexStore

    assert len(IndexStore.open(alpha["index"]["index_dir"], None).doc_hashes()) == len(list(SEEDS.iterdir()))
    md = (out / "report.md").read_text(encoding="utf-8")
    assert "| alpha |" in md and "Negative rejection" in md


def test_sample_keeps_both_languages_of_a_question_together(tmp_path: Path) -> None:
    folder = tmp_path / "s"
    folder.mkdir()
    rows = [{"id": f"xquad-{lang}-q{i}", "question": f"q{i} {lang}", "answers": ["a"], "doc_ids": ["d"]}
            for i in range(10) for lang in ("zh", "en2zh")]
    (folder / "qa.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    questions, _ = load_set(folder, 6)
    ids = {q.id for q in questions}
    assert len(ids) == 6
    assert all(i.replace("-zh-", "-en2zh-") in ids for i in ids if "-zh-" in i)


def test_suite_without_sets_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="no evaluation sets"):
        run_suite(tmp_path)
