"""Citation checks and settings validation (no model needed)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.cite import check, normalise_marks, overlap
from rag.errors import InputError
from rag.settings import Settings
from rag.types import Chunk, Hit

P1 = "会议宣布了第二批名单,南京、南通、温州、台州、鹤壁、泸州等6个城市成为第二批全国质量强市示范城市。"
P2 = "包头市政府副市长安润生主持会议。"


def _hits() -> list[Hit]:
    return [Hit(Chunk("a#0", "a", P1, 100, 100 + len(P1), "T", "2015-02-02"), 0.9), Hit(Chunk("b#0", "b", P2, 0, len(P2)), 0.5)]


def test_supported_citation_kept_and_quote_located() -> None:
    out = check("南京、南通等6个城市成为第二批示范城市[1]。", _hits())
    assert out.text == "南京、南通等6个城市成为第二批示范城市[1]。" and not out.warnings
    (c,) = out.citations
    assert (c.n, c.doc_id, c.quote_start, c.quote_end) == (1, "a", 100, 100 + len(P1))


def test_unsupported_and_missing_citations_removed_and_rest_renumbered() -> None:
    out = check("安润生主持会议[2]。南京是示范城市[1][7]。北京举办了奥运会[1]。", _hits())
    assert out.text == "安润生主持会议[1]。南京是示范城市[2]。北京举办了奥运会。"
    assert [c.doc_id for c in out.citations] == ["b", "a"]
    assert any("no passage 7" in w for w in out.warnings) and any("does not support" in w for w in out.warnings)
    assert out.uncited == 1


def test_embedding_similarity_rescues_a_paraphrase() -> None:
    claim = "Six cities including Nanjing were named model quality cities[1]."
    assert check(claim, _hits()).citations == []
    out = check(claim, _hits(), similarity=lambda a, b: np.full(len(a), 0.9))
    assert [c.n for c in out.citations] == [1]


def test_marks_after_punctuation_are_moved_in() -> None:
    assert normalise_marks("城市。[1] [2]下一句") == "城市[1][2]。下一句"
    assert overlap("", P1) == 0.0


def test_no_citations_at_all() -> None:
    out = check("没有任何引用的一句话。", _hits())
    assert out.citations == [] and out.uncited == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"top_k": -1}, "top_k must be > 0, got -1"),
        ({"generator": "gpt"}, "generator must be one of"),
        ({"chunk_size": 10}, "chunk_size must be >= 50, got 10"),
        ({"fusion": "max"}, "fusion must be one of"),
        ({"top_k": 80, "candidates": 50}, "candidates must be >= top_k"),
    ],
)
def test_settings_validation_messages(kwargs: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        Settings(**kwargs)


def test_settings_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "rag.toml"
    cfg.write_text('top_k = 7\ngenerator = "openai"\n')
    monkeypatch.setenv("RAG_TOP_K", "9")
    s = Settings.load(cfg, generator=None)
    assert (s.top_k, s.generator) == (9, "openai")
    monkeypatch.setenv("RAG_TOP_K", "nine")
    with pytest.raises(InputError, match="top_k must be a number"):
        Settings.load(cfg)
    cfg.write_text("colour = 1\n")
    monkeypatch.delenv("RAG_TOP_K")
    with pytest.raises(InputError, match="unknown settings"):
        Settings.load(cfg)
