"""The MCP server (``rag mcp``), driven by the official SDK's own stdio client."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("mcp")

from mcp import ClientSession, StdioServerParameters  # noqa: E402
from mcp.client.stdio import stdio_client  # noqa: E402

from rag.mcp_server import format_answer  # noqa: E402
from rag.types import Answer, Citation  # noqa: E402

from .conftest import CITIES, SHENZHEN  # noqa: E402

QUESTION = "which cities were named in 2015?"


async def _session(index: Path, calls: list[tuple[str, dict[str, Any]]]) -> tuple[list[str], list[Any]]:
    params = StdioServerParameters(
        command=sys.executable,
        args=["-m", "rag.cli", "mcp", "--index", str(index)],
        env={k: v for k, v in os.environ.items() if k.startswith(("HF_", "TRANSFORMERS_", "RAG_", "PATH"))},
        cwd=str(index.parent),
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        tools = [t.name for t in (await session.list_tools()).tools]
        results = [await session.call_tool(name, args) for name, args in calls]
    return tools, results


@pytest.fixture(scope="module")
def mcp_run(real_index: Path) -> tuple[list[str], list[Any]]:
    """One session against a real ``rag mcp`` subprocess over the seeds index: list tools, then four calls."""
    calls = [
        ("ask_archive", {"question": QUESTION}),
        ("search_archive", {"query": QUESTION, "k": 3}),
        ("search_archive", {"query": "质量", "k": 0}),
        ("ask_archive", {"question": "Who won the 2030 World Cup?"}),
    ]
    return asyncio.run(asyncio.wait_for(_session(real_index, calls), timeout=600))


def test_the_session_lists_both_tools(mcp_run: tuple[list[str], list[Any]]) -> None:
    tools, _ = mcp_run
    assert {"search_archive", "ask_archive"} <= set(tools)


def test_ask_archive_returns_a_cited_answer(mcp_run: tuple[list[str], list[Any]]) -> None:
    result = mcp_run[1][0]
    assert not result.is_error
    text = result.content[0].text
    answer, _, sources = text.partition("\n\nSources:\n")
    assert all(city in answer for city in CITIES) and "[1]" in answer
    assert sources.startswith("[1] ") and SHENZHEN in sources


def test_search_archive_returns_the_six_city_passage(mcp_run: tuple[list[str], list[Any]]) -> None:
    result = mcp_run[1][1]
    assert not result.is_error
    passages = result.content[0].text.split("\n\n")
    assert 0 < len(passages) <= 3
    assert any(SHENZHEN in p and all(c in p for c in CITIES) for p in passages)


def test_bad_arguments_come_back_as_a_tool_error_that_says_what_to_fix(mcp_run: tuple[list[str], list[Any]]) -> None:
    result = mcp_run[1][2]
    assert result.is_error and "k must be 1..50, got 0" in result.content[0].text


def test_a_refusal_says_so_and_lists_the_closest_passages(mcp_run: tuple[list[str], list[Any]]) -> None:
    text = mcp_run[1][3].content[0].text
    assert text.startswith("The archive does not contain this") and "Closest passages" in text


def test_format_answer_lists_each_source_with_its_quote_span() -> None:
    c = Citation(1, "a.txt", "a.txt#0", "标题", "2015-02-02", "日报", "甲乙丙", 10, 13, 0.5, 11, 12)
    text = format_answer(Answer("q", "甲乙[1]。", [c]))
    assert text == "甲乙[1]。\n\nSources:\n[1] a.txt · 标题 · 2015-02-02 · 日报, characters 11-12\n    甲乙丙"
