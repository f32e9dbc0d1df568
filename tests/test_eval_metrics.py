"""Every evaluation metric on hand-made cases with known values, edge cases included."""

from __future__ import annotations

import math

import pytest

from rag.evaluation import metrics as m
from rag.evaluation.dataset import parse_line
from rag.evaluation.results import Result, aggregate

RANKED = ["a", "b", "c", "d"]


def test_unique_docs_keeps_first_occurrence_order() -> None:
    assert m.unique_docs(["b", "b", "a", "c", "a", "d"]) == ["b", "a", "c", "d"]
    assert m.unique_docs(["b", "b", "a", "c"], 2) == ["b", "a"]
    assert m.unique_docs([]) == []


@pytest.mark.parametrize(("k", "hit", "recall"), [(1, 0.0, 0.0), (2, 1.0, 0.5), (3, 1.0, 0.5), (4, 1.0, 1.0), (10, 1.0, 1.0)])
def test_hit_and_recall_at_k(k: int, hit: float, recall: float) -> None:
    assert m.hit_at(RANKED, ["b", "d"], k) == hit
    assert m.recall_at(RANKED, ["b", "d"], k) == recall


def test_reciprocal_rank() -> None:
    assert m.reciprocal_rank(RANKED, ["c"]) == pytest.approx(1 / 3)
    assert m.reciprocal_rank(RANKED, ["d", "b"]) == 0.5
    assert m.reciprocal_rank(RANKED, ["z"]) == 0.0
    assert m.reciprocal_rank([], ["a"]) == 0.0


def test_ndcg() -> None:
    assert m.ndcg_at(RANKED, ["a"]) == 1.0
    assert m.ndcg_at(RANKED, ["b"]) == pytest.approx(1 / math.log2(3))
    # gold b and d: DCG = 1/log2(3) + 1/log2(5); ideal = 1 + 1/log2(3)
    assert m.ndcg_at(RANKED, ["b", "d"]) == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / (1 + 1 / math.log2(3)))
    assert m.ndcg_at(RANKED, ["z"]) == 0.0
    assert m.ndcg_at(RANKED, ["d"], k=3) == 0.0


def test_no_doc_ids_disables_retrieval_metrics() -> None:
    for gold in (None, []):
        assert m.hit_at(RANKED, gold, 5) is None
        assert m.recall_at(RANKED, gold, 5) is None
        assert m.reciprocal_rank(RANKED, gold) is None
        assert m.ndcg_at(RANKED, gold) is None
        assert m.citation_recall(["a"], gold) is None


def test_correctness_by_parts_needs_every_part() -> None:
    parts = [["南京", "Nanjing"], ["温州"]]
    assert m.is_correct("城市有南京[1]、温州[2]。", parts) is True
    assert m.is_correct("Cities: NANJING and 温州", parts) is True
    assert m.is_correct("只有南京。", parts) is False
    assert m.is_correct("", parts) is False


def test_correctness_by_answers_and_missing_fields() -> None:
    assert m.is_correct("约280人参加", answers=["280人", "二百八十人"]) is True
    assert m.is_correct("约300人参加", answers=["280人"]) is False
    assert m.is_correct("Answer: Chloe Zhao [1]", answers=["Chloé Zhao"]) is True  # accents and width do not count
    assert m.is_correct("答：１０月[1]", answers=["10月"]) is True
    assert m.is_correct("Answer: Chloe Zhou", answers=["Chloé Zhao"]) is False
    assert m.is_correct("anything", None, None) is None
    assert m.is_correct("南京", [], []) is None
    # parts win over answers when both are given
    assert m.is_correct("南京", [["南京"]], ["温州"]) is True


def test_correctness_ignores_citation_markers_inside_answer() -> None:
    assert m.is_correct("共968[1]个", [["968个"]]) is True


def test_f1_character_level_for_chinese() -> None:
    # prediction 南京市 (3 chars), truth 南京 (2 chars): common 2 -> P 2/3, R 1 -> F1 0.8
    assert m.f1("南京市[1]。", "南京") == pytest.approx(0.8)
    assert m.f1("南京", "南京") == 1.0
    assert m.f1("北京", "南京") == pytest.approx(0.5)


def test_f1_token_level_for_english_and_edge_cases() -> None:
    # tokens: the/city/of/nanjing vs nanjing/city: common 2 -> P 0.5, R 1 -> 2/3
    assert m.f1("The city of Nanjing.", "Nanjing city") == pytest.approx(2 / 3)
    assert m.f1("", "南京") == 0.0
    assert m.f1("南京", None) is None
    assert m.f1("280人参加", "280人") == pytest.approx(2 * (2 / 4) * 1 / (2 / 4 + 1))


def test_reference_is_first_answer_else_first_alternatives() -> None:
    assert m.reference([["南京", "Nanjing"], ["温州"]], ["甲", "乙"]) == "甲"
    assert m.reference([["南京", "Nanjing"], ["温州"]]) == "南京 温州"
    assert m.reference(None, None) is None


def test_citation_precision() -> None:
    cited = [("d1", "无关文本"), ("d2", "南京成为示范城市"), ("d3", "其他")]
    assert m.citation_precision(cited, ["d1"], [["南京"]]) == pytest.approx(2 / 3)
    assert m.citation_precision(cited, ["d9"], None, ["NANJING", "其他"]) == pytest.approx(1 / 3)
    assert m.citation_precision(cited, None, None, None) is None  # nothing to judge support by
    assert m.citation_precision([], ["d1"], [["南京"]]) is None  # no citations


def test_citation_recall() -> None:
    assert m.citation_recall(["d2", "d1"], ["d1"]) == 1.0
    assert m.citation_recall(["d2"], ["d1"]) == 0.0
    assert m.citation_recall([], ["d1"]) is None


def test_mean_and_percentile() -> None:
    assert m.mean([1.0, None, 0.0, True]) == pytest.approx(2 / 3)
    assert m.mean([None, None]) is None
    assert m.percentile([10, 20, 30, 40, 50], 50) == 30
    assert m.percentile([10, 20], 95) == pytest.approx(19.5)
    assert m.percentile([7], 95) == 7
    assert m.percentile([], 50) is None


def _result(answerable: bool, refused: bool, correct: bool | None, lang: str = "zh", **kw) -> Result:  # type: ignore[no-untyped-def]
    return Result("c", "q", 1, "?", lang, answerable, "x", refused=refused, correct=correct, **kw)


def test_aggregate_all_refused() -> None:
    rs = [_result(True, True, False, f1=0.0), _result(True, True, False, f1=0.0), _result(False, True, None)]
    g = aggregate(rs)
    assert g["metrics"]["answer_accuracy"] == 0.0
    assert g["metrics"]["false_refusal_rate"] == 1.0
    assert g["metrics"]["refusal_accuracy"] == 1.0
    assert g["metrics"]["overall_accuracy"] == pytest.approx(1 / 3, abs=1e-4)
    assert g["metrics"]["citation_precision"] is None and g["n"]["citation_precision"] == 0  # no citations at all
    assert g["metrics"]["hit@5"] is None  # no retrieval recorded
    assert g["latency_ms"]["total_ms"] == {"p50": None, "p95": None}


def test_aggregate_counts_and_latency() -> None:
    rs = [
        _result(True, False, True, citation_precision=1.0, citation_recall=1.0, retrieval={"hit@5": 1.0},
                timings={"total_ms": 10.0}),
        _result(True, False, False, citation_precision=0.5, citation_recall=0.0, retrieval={"hit@5": 0.0},
                timings={"total_ms": 30.0}),
        _result(False, False, None, timings={"total_ms": 20.0}),
    ]
    g = aggregate(rs)
    assert (g["questions"], g["answerable"], g["unanswerable"]) == (3, 2, 1)
    assert g["metrics"]["answer_accuracy"] == 0.5
    assert g["metrics"]["citation_precision"] == 0.75
    assert g["metrics"]["citation_recall"] == 0.5
    assert g["metrics"]["hit@5"] == 0.5 and g["n"]["hit@5"] == 2
    assert g["metrics"]["refusal_accuracy"] == 0.0
    assert g["metrics"]["false_refusal_rate"] == 0.0
    assert g["latency_ms"]["total_ms"]["p50"] == 20.0
    assert [r.failed for r in rs] == [False, True, True]


def test_dataset_line_rules() -> None:
    q = parse_line('{"id": "a", "question": "Who is the mayor?", "answer_parts": [["x", "y"], "z"]}', 3)
    assert (q.lang, q.answerable, q.answer_parts, q.doc_ids, q.line) == ("en", True, (("x", "y"), ("z",)), None, 3)
    assert parse_line('{"question": "哪些城市?", "answerable": false}', 7).id == "line-7"
    assert parse_line('{"question": "哪些城市?"}', 1).lang == "zh"
    for bad, why in [
        ("{oops", "not valid JSON"),
        ("[1]", "JSON object"),
        ('{"id": "x"}', "question"),
        ('{"question": "q", "answers": "南京"}', "answers"),
        ('{"question": "q", "answer_parts": [[""]]}', "answer_parts"),
        ('{"question": "q", "answerable": "no"}', "answerable"),
    ]:
        with pytest.raises(ValueError, match=why):
            parse_line(bad, 1)
