"""The evaluation harness end to end on a slice of the seeds gold set, with the real default embedder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rag.cli import main as cli_main
from rag.evaluation import Report, corpus, run
from rag.evaluation.dataset import load_dataset
from rag.settings import Settings

from .conftest import ROOT, SEEDS

GOLD = ROOT / "eval" / "seeds_gold.jsonl"
PICK = ("seed-zh-01", "seed-zh-10", "seed-en-05", "seed-neg-01", "seed-neg-06")
CONFIGS = ("naive", "bm25", "dense", "hybrid")


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five gold questions (3 answerable, 2 not) with a malformed line 2 and a question-less line 5."""
    rows = {json.loads(line)["id"]: line.strip() for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()}
    lines = [rows[PICK[0]], "{not json", rows[PICK[1]], "", '{"id": "no-question"}', *(rows[i] for i in PICK[2:])]
    path = tmp_path_factory.mktemp("data") / "slice.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def evaluated(dataset: Path, cache: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Report, Path]:
    out = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAG_CACHE_DIR", str(cache))
        return run(dataset, corpus=SEEDS, configs=CONFIGS, out=out), out


@pytest.fixture(scope="module")
def report_dir(evaluated: tuple[Report, Path]) -> Path:
    return evaluated[1]


def test_malformed_lines_are_reported_with_line_numbers(dataset: Path) -> None:
    data = load_dataset(dataset)
    assert [q.id for q in data.questions] == list(PICK)
    assert [i.line for i in data.issues] == [2, 5]
    assert "JSON" in data.issues[0].message and "question" in data.issues[1].message


def test_python_api_returns_the_report(evaluated: tuple[Report, Path]) -> None:
    report, _ = evaluated
    assert report.value("hybrid", "hit@5") == 1.0
    assert report.value("bm25", "refusal_accuracy", "en") is not None
    assert {r.config for r in report.results} == set(CONFIGS)


def test_report_files_and_sane_values(report_dir: Path) -> None:
    for name in ("report.json", "report.md", "hit_at_k.png", "latency.png"):
        assert (report_dir / name).stat().st_size > 0, name
    report = json.loads((report_dir / "report.json").read_text(encoding="utf-8"))
    assert [i["line"] for i in report["dataset_issues"]] == [2, 5]
    assert len(report["questions"]) == len(PICK) * len(CONFIGS)
    assert not any(q["error"] for q in report["questions"])
    assert set(report["summary"]) == set(CONFIGS)
    for name, groups in report["summary"].items():
        assert set(groups) == {"all", "zh", "en"}
        g = groups["all"]
        assert (g["questions"], g["answerable"], g["unanswerable"]) == (5, 3, 2)
        assert all(v is None or 0.0 <= v <= 1.0 for v in g["metrics"].values()), name
        assert g["metrics"]["hit@10"] is not None and g["n"]["mrr"] == 3
        assert g["latency_ms"]["total_ms"]["p50"] > 0
        hits = [g["metrics"][f"hit@{k}"] for k in (1, 3, 5, 10)]
        assert hits == sorted(hits)  # hit@k never falls as k grows
    hybrid = report["summary"]["hybrid"]["all"]["metrics"]
    assert hybrid["hit@5"] == 1.0 and hybrid["answer_accuracy"] >= 2 / 3
    assert report["ingest"]["index"]["documents"] == 5 and not report["ingest"]["index"]["cached"]
    assert report["ingest"]["configs"]["naive"]["chunks"] > 0
    md = (report_dir / "report.md").read_text(encoding="utf-8")
    assert "](hit_at_k.png)" in md and "](latency.png)" in md and "## Failures" in md and "| 2 |" in md


def test_second_run_uses_the_cache_through_the_cli(
    report_dir: Path, dataset: Path, cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RAG_CACHE_DIR", str(cache))
    out = tmp_path / "again"
    args = ["--dataset", str(dataset), "--corpus", str(SEEDS), "--configs", "bm25,naive", "--limit", "2", "--out", str(out)]
    code = cli_main(["eval", *args])
    assert code == 0
    printed = capsys.readouterr().out
    assert f"{dataset}:2: skipped" in printed and "hit@5" in printed and "bm25" in printed
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["ingest"]["index"]["cached"] and report["ingest"]["configs"]["naive"]["cached"]
    assert report["meta"]["questions"] == 2


def test_unknown_config_is_refused_before_any_work(dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["eval", "--dataset", str(dataset), "--corpus", str(SEEDS), "--configs", "hybrid,bogus"]) == 2
    assert "bogus" in capsys.readouterr().err


def test_corpus_and_index_together_are_refused_not_one_ignored(dataset: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main(["eval", "--dataset", str(dataset), "--corpus", str(SEEDS), "--index", str(tmp_path / "idx")]) == 2
    assert "--corpus" in capsys.readouterr().err and not (tmp_path / "idx").exists()


def test_cache_key_covers_corpus_embedder_settings_and_index_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "a.txt").write_text("南京成为示范城市。", encoding="utf-8")
    s = Settings()
    key = corpus.corpus_key(tmp_path, "e5", s)
    assert key == corpus.corpus_key(tmp_path, "e5", s)
    assert key != corpus.corpus_key(tmp_path, "hash:256", s)
    assert key != corpus.corpus_key(tmp_path, "e5", s.with_(chunk_size=400))
    (tmp_path / "a.txt").write_text("温州成为示范城市。", encoding="utf-8")
    changed = corpus.corpus_key(tmp_path, "e5", s)
    assert changed != key
    monkeypatch.setattr(corpus, "code_hash", lambda: "another library version")
    assert corpus.corpus_key(tmp_path, "e5", s) != changed


def test_default_pipeline_meets_the_seed_gold_targets(real_index: Path, tmp_path: Path) -> None:
    """The whole seed gold set through the default pipeline: >= 90% right, cited precisely, no invented answer."""
    report = run(GOLD, index=real_index, configs=("hybrid",), out=tmp_path)
    assert report.value("hybrid", "overall_accuracy") >= 0.9
    assert report.value("hybrid", "citation_precision") >= 0.95
    assert report.value("hybrid", "refusal_accuracy") == 1.0
    assert report.value("hybrid", "answer_accuracy", "zh") == 1.0
