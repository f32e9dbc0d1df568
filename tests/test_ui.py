"""The chat UI: rendering, handlers, the gradio_client API and (slow) the real page in headless Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("gradio")

from rag.errors import InputError  # noqa: E402
from rag.pipeline import check_date  # noqa: E402
from rag.types import Answer, Citation  # noqa: E402
from rag.ui import render  # noqa: E402
from rag.ui.app import parse_auth  # noqa: E402
from rag.ui.handlers import Handlers  # noqa: E402

from . import ui_fixtures  # noqa: E402
from .conftest import CITIES, ROOT, SHENZHEN  # noqa: E402
from .ui_fixtures import ARTIFACTS, free_port  # noqa: E402

# The UI fixtures (a copy of the real index, the served app, headless Chromium), used by name below.
ui_assistant, ui_url, browser, page = (
    ui_fixtures.ui_assistant,
    ui_fixtures.ui_url,
    ui_fixtures.browser,
    ui_fixtures.page,
)

QUESTION = "which cities were named in 2015?"
UPLOAD_ID = "ui_test_upload.txt"
UPLOAD_TEXT = (
    "测试城市举办首届桂花节\n\n2024-09-01 10:30 测试日报\n\n"
    "　　9月1日上午,测试城市在滨江公园举办首届桂花节,活动为期七天,首日吸引游客三万人次。\n"
    "　　主办方表示,明年将继续举办桂花节,并增加夜间灯光展和非遗市集。\n"
)
DOCS_SCREENSHOTS = os.environ.get("RAG_UI_DOCS_SCREENSHOTS") == "1"  # also refresh docs/ui-*.png


def citation(n: int = 1, **kw: Any) -> Citation:
    base = dict(
        n=n,
        doc_id="a.txt",
        chunk_id="a.txt#0",
        title="标题",
        date="2015-02-02",
        source="日报",
        text="甲乙丙丁戊",
        start=10,
        end=15,
        score=0.5,
        quote_start=11,
        quote_end=13,
    )
    return Citation(**{**base, **kw})


# ---- rendering ----------------------------------------------------------------------------------


def test_badges_link_markers_to_source_cards_and_escape_html() -> None:
    html = render.badges("<b>南京</b>[1]\n温州[2]", turn=3)
    assert '<a class="cite" href="#src-3-1"' in html and 'href="#src-3-2"' in html
    assert "&lt;b&gt;" in html and "<br>" in html


def test_hovering_a_marker_shows_the_quoted_span_and_the_short_answer_leads() -> None:
    answer = Answer("q", "答：乙丙[1]\n甲乙丙丁[1]", citations=[citation()])
    message = render.answer_message(answer, 2)
    assert 'title="[1] 乙丙"' in message  # the span the citation quotes, not the whole passage
    assert message.index('class="short-answer"') < message.index("甲乙丙丁")
    assert "答：乙丙" in message.split('class="short-answer">', 1)[1].split("</div>", 1)[0]


def test_a_timeline_answer_is_drawn_as_dated_cited_items(assistant: Any) -> None:
    answer = assistant.ask("质量强市的时间线")
    message = render.answer_message(answer, 1)
    assert answer.kind == "timeline" and message.count('class="tl-item"') == len(answer.dated) >= 4
    dates = [d.date for d in answer.dated if d.date]
    assert dates == sorted(dates)  # oldest first
    assert message.index("2015年2月2日") < message.index("2015年6月15日") < message.index("2016年")
    assert {d.n for d in answer.dated} <= {c.n for c in answer.citations}  # every item cites a kept source
    assert message.count('class="cite"') >= len(answer.dated)
    compare = render.answer_message(assistant.ask("包头市城市质量发展大会和聊城实施质量强市战略动员大会哪个更早?"), 2)
    events = [part.split("</span>", 1)[0] for part in compare.split('class="tl-event">')[1:]]
    assert len(events) == 2 and events[0].startswith("聊城") and events[1].startswith("包头")  # in date order
    assert 'class="tl-head short-answer">答：最早的是聊城' in compare  # the verdict is highlighted as the short answer
    assert 'short-answer' not in message  # a timeline's heading is no answer


def test_source_card_marks_the_cited_span_inside_the_passage() -> None:
    card = render.source_card(citation(), turn=1, doc=None)
    assert 'id="src-1-1"' in card and "甲<mark>乙丙</mark>丁戊" in card
    assert "a.txt" in card and "2015-02-02" in card and "日报" in card


def test_refusal_has_its_own_style_and_offers_see_also() -> None:
    answer = Answer("q", "资料库中没有找到相关信息。", refused=True, see_also=[citation()], timings={"total_ms": 12.0})
    message = render.answer_message(answer, 1)
    assert 'class="refusal"' in message and "总计 12 ms" in message and "为什么没有回答" in message
    sources = render.turn_sources(answer, 1, lambda _: None)
    assert "see-also" in sources and "<mark>" not in sources


def test_sources_json_is_plain_data() -> None:
    out = render.sources_json(Answer("q", "t[1]", [citation()], timings={"total_ms": 1.0}))
    assert out["citations"][0]["doc_id"] == "a.txt" and out["refused"] is False and out["timings"]["total_ms"] == 1.0


def test_auth_and_dates_are_checked() -> None:
    assert parse_auth("me:s3:cret") == ("me", "s3:cret") and parse_auth(None) is None
    with pytest.raises(InputError):
        parse_auth("nopassword")
    assert check_date(" 2015-02 ", "x") == "2015-02" and check_date("", "x") is None
    with pytest.raises(InputError):
        check_date("02/03/2015", "起始日期")


# ---- handlers (real assistant, no server) -------------------------------------------------------


def test_respond_streams_then_shows_sources(ui_assistant: Any) -> None:
    updates = list(Handlers(ui_assistant).respond(QUESTION, [], [], [], 5, "", ""))
    _, chat, sources, history, turns = updates[-1]
    assert len(updates) >= 3 and chat[-2]["role"] == "user" and 'class="cite"' in chat[-1]["content"]
    assert all(c in chat[-1]["content"] for c in CITIES)
    assert SHENZHEN in sources and "<mark>" in sources and history[0][0] == QUESTION and turns[0]["turn"] == 1


def test_errors_are_readable_messages_not_tracebacks(ui_assistant: Any) -> None:
    h = Handlers(ui_assistant)
    *_, (_, chat, _, history, _) = h.respond(QUESTION, [], [], [], 5, "yesterday", "")
    assert "error-msg" in chat[-1]["content"] and "YYYY" in chat[-1]["content"] and not history
    assert list(h.respond("   ", [], [], [], 5, "", ""))[-1][1] == []  # a blank question is ignored
    assert "不支持的文件类型" in h.ingest_files([str(ROOT / "pyproject.toml")])
    assert h.remove_document(None).startswith("请先")


def test_generator_switches_at_run_time_and_falls_back_readably(ui_assistant: Any) -> None:
    pytest.importorskip("langchain_openai")
    h = Handlers(ui_assistant)
    try:
        status = h.apply_generator("openai", f"http://127.0.0.1:{free_port()}/v1", "qwen", "", "")
        assert "OpenAI" in status and ui_assistant.settings.generator == "openai"
        *_, (_, chat, _, _, _) = h.respond(QUESTION, [], [], [], 5, "", "")
        assert 'class="warn"' in chat[-1]["content"] and all(c in chat[-1]["content"] for c in CITIES)
    finally:
        assert "抽取式" in h.apply_generator("extractive", "", "", "", "")


# ---- API (gradio_client against the real server) -----------------------------------------------


def test_api_ask_gives_the_same_answer_as_the_library(ui_url: str, assistant: Any) -> None:
    from gradio_client import Client

    client = Client(ui_url, verbose=False)
    text, sources = client.predict(QUESTION, api_name="/ask")
    assert text == assistant.ask(QUESTION).text
    assert all(c in text for c in CITIES) and sources["citations"][0]["doc_id"] == SHENZHEN
    text_k, _ = client.predict(question=QUESTION, k=3, api_name="/ask")
    assert text_k == assistant.ask(QUESTION, k=3).text


def test_api_reports_bad_input_as_a_message(ui_url: str) -> None:
    from gradio_client import Client

    with pytest.raises(Exception, match="question is empty"):
        Client(ui_url, verbose=False).predict("  ", api_name="/ask")


def test_uploads_over_the_size_limit_are_refused(ui_url: str) -> None:
    import httpx

    from rag.ui.handlers import MAX_UPLOAD_MB

    big = b"x" * (MAX_UPLOAD_MB * 2**20 + 1)
    r = httpx.post(f"{ui_url}/gradio_api/upload", files={"files": ("big.txt", big, "text/plain")}, timeout=60)
    assert r.status_code == 413, r.text


def test_basic_auth_guards_the_app_and_the_api(ui_assistant: Any) -> None:
    from gradio_client import Client

    from rag.ui import build_app, launch

    app = build_app(ui_assistant)
    url = launch(app, "127.0.0.1", free_port(), auth="editor:s3cret", block=False)
    try:
        with pytest.raises(ValueError, match="login"):
            Client(url, verbose=False)
        text, _ = Client(url, auth=("editor", "s3cret"), verbose=False).predict(QUESTION, api_name="/ask")
        assert all(c in text for c in CITIES)
    finally:
        app.close()


# ---- the page in headless Chromium ---------------------------------------------------------------


def shoot(page: Any, name: str, full_page: bool = False) -> None:
    """Save a screenshot to tests/artifacts/ (and to docs/ when asked)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)
    if DOCS_SCREENSHOTS and name in ("ui-chat.png", "ui-documents.png"):
        shutil.copy(ARTIFACTS / name, ROOT / "docs" / name)


@pytest.mark.slow
def test_chat_answers_with_citation_badges_and_highlighted_sources(page: Any) -> None:
    page.fill("#question textarea", QUESTION)
    page.press("#question textarea", "Enter")
    badge = page.locator("#chat a.cite").first
    badge.wait_for()
    answer = page.locator("#chat .answer").last.inner_text()
    assert all(c in answer for c in CITIES), answer
    assert all(c in page.locator("#chat .short-answer").last.inner_text() for c in CITIES)  # the list, first
    assert any(c in (badge.get_attribute("title") or "") for c in CITIES)  # hover: the quoted span
    sources = page.locator("#sources")
    card = sources.locator(f'.src-card[data-doc-id="{SHENZHEN}"]').first
    assert SHENZHEN in card.inner_text() and card.locator(".src-passage mark").count() == 1
    assert any(c in card.locator(".src-passage mark").inner_text() for c in CITIES)
    shoot(page, "ui-chat.png")
    badge.click()  # scrolls to and flashes the cited source
    page.wait_for_selector("#sources .src-card.flash")
    card.locator(".src-full summary").click()  # the whole cleaned article, quote marked
    assert card.locator(".fulltext mark").is_visible() and len(card.locator(".fulltext").inner_text()) > 2000


@pytest.mark.slow
def test_follow_up_and_refusal_in_the_browser(page: Any) -> None:
    page.locator("#examples button", has_text="第二批全国质量强市示范城市").click()  # an example, one click
    page.locator("#chat a.cite").first.wait_for()
    page.fill("#question textarea", "2030年火星基地一共住了多少名宇航员?")
    page.press("#question textarea", "Enter")
    page.locator("#chat .refusal").wait_for()
    assert page.locator("#sources .see-also").count() >= 1
    assert page.locator("#sources details.src-older").count() == 1  # the earlier answer's sources, folded
    shoot(page, "ui-refusal.png")
    page.fill("#question textarea", "质量强市的时间线")  # a time question, drawn as a timeline
    page.press("#question textarea", "Enter")
    items = page.locator("#chat .timeline").last.locator(".tl-item")
    items.first.wait_for()
    assert items.count() >= 4 and items.first.locator("a.cite").count() == 1
    assert items.first.locator(".tl-date").inner_text().startswith("2015")
    shoot(page, "ui-timeline.png")


@pytest.mark.slow
def test_documents_tab_upload_list_and_remove(page: Any, tmp_path: Path) -> None:
    upload = tmp_path / UPLOAD_ID
    upload.write_text(UPLOAD_TEXT, encoding="utf-8")
    page.get_by_role("tab", name="文档").click()
    table = page.locator("#doc-table")
    table.get_by_text(SHENZHEN).wait_for()
    page.locator("#upload input[type=file]").set_input_files(str(upload))
    page.locator("#upload").get_by_text(Path(UPLOAD_ID).stem).first.wait_for()  # name and extension may render apart
    page.click("#ingest")
    page.locator("#status-ingest", has_text="导入完成").wait_for()
    assert "新增 1 篇" in page.locator("#status-ingest").inner_text()
    table.get_by_text(UPLOAD_ID).click()  # pick the row: the whole article opens below
    page.locator("#article", has_text="滨江公园").wait_for()
    page.locator("#doc-summary").click()  # drop the table cell focus before the screenshot
    assert "6 篇文章" in page.locator("#doc-summary").inner_text()
    shoot(page, "ui-documents.png", full_page=True)
    page.click("#remove")
    page.click("#confirm-remove")
    page.locator("#status-remove", has_text="已删除").wait_for()
    page.locator("#doc-summary", has_text="5 篇文章").wait_for()
    assert table.get_by_text(UPLOAD_ID).count() == 0
