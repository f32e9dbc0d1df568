"""What a chat LLM reads in sentence mode: the selected sentences and one neighbour each side, under their [n]."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rag.generators.chat import GAP, ChatGenerator, format_sentences
from rag.generators.extractive import Scored
from rag.query import analyze
from rag.types import Chunk, Hit

A = "第一句。第二句讲背景。第三句是答案。第四句补充。第五句无关。第六句也无关。第七句是另一处证据。"
B = "别的文章开头。这里是第二篇的答案。结尾。"


def hits() -> list[Hit]:
    return [Hit(Chunk("a#0", "a", A, 0, len(A), "标题甲", "2023-07-01"), 1.0),
            Hit(Chunk("b#0", "b", B, 0, len(B), "标题乙"), 0.9)]


def span(text: str, sentence: str) -> tuple[int, int]:
    start = text.index(sentence)
    return start, start + len(sentence)


def test_selected_sentences_come_with_their_neighbours_numbered_by_passage() -> None:
    passages = hits()
    chosen = [Scored(2, *span(B, "这里是第二篇的答案。"), 0.9), Scored(1, *span(A, "第三句是答案。"), 0.8),
              Scored(1, *span(A, "第七句是另一处证据。"), 0.7)]
    text = format_sentences(passages, chosen)
    assert text == (
        "[2] 标题乙\n别的文章开头。这里是第二篇的答案。结尾。\n\n"  # best first; the whole short passage
        f"[1] 标题甲 · 2023-07-01\n第二句讲背景。第三句是答案。第四句补充。{GAP}第六句也无关。第七句是另一处证据。"
    )
    assert "第一句" not in text and "第五句" not in text


def test_windows_that_touch_are_merged_and_the_first_sentence_has_no_left_neighbour() -> None:
    passages = hits()
    chosen = [Scored(1, *span(A, "第一句。"), 0.9), Scored(1, *span(A, "第三句是答案。"), 0.8)]
    assert format_sentences(passages, chosen) == "[1] 标题甲 · 2023-07-01\n第一句。第二句讲背景。第三句是答案。第四句补充。"
    assert format_sentences(passages, chosen, neighbours=0) == f"[1] 标题甲 · 2023-07-01\n第一句。{GAP}第三句是答案。"


class _Selector:
    def __init__(self, chosen: list[Scored]) -> None:
        self.chosen = chosen

    def select(self, *_: Any) -> list[Scored]:
        return self.chosen


class _Model:
    def __init__(self) -> None:
        self.prompts: list[str] = []

    def stream(self, messages: list[Any]) -> Iterator[Any]:
        self.prompts.append(messages[-1].content)
        yield type("Piece", (), {"content": "第三句是答案[1]。"})()


def test_the_model_reads_the_sentences_and_is_not_asked_when_nothing_is_selected() -> None:
    model, query = _Model(), analyze("答案是什么?")
    chosen = [Scored(1, *span(A, "第三句是答案。"), 0.8)]
    generator = ChatGenerator(model, "local", _Selector(chosen))  # type: ignore[arg-type]
    # the model's answer, then the sentence it came from under 原文 with its [n]
    assert "".join(generator.generate(query, hits())) == "第三句是答案[1]。\n原文：\n第三句是答案。[1]"
    assert "第四句补充" in model.prompts[0] and "第六句" not in model.prompts[0] and "别的文章" not in model.prompts[0]
    assert model.prompts[0].startswith("证据句：")  # the evidence prompt, not the passages one
    refusing = ChatGenerator(model, "local", _Selector([]))  # type: ignore[arg-type]
    assert list(refusing.generate(query, hits())) == [] and len(model.prompts) == 1


def test_the_prompt_survives_a_conversation_history() -> None:
    gen = ChatGenerator(model=None)
    msgs = gen.messages(analyze("答案是什么？"), hits(), [("上一个问题？", "上一个回答[1]")], context="[1] 证据")
    last = msgs[-1].content
    assert "证据句" in last and "答案是什么？" in last and "[1] 证据" in last  # not the history's question
    assert [m.content for m in msgs[1:3]] == ["上一个问题？", "上一个回答[1]"]
