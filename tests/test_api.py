"""The HTTP API, driven by the official ``openai`` client and httpx against a live ``rag serve --api-key``."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

openai = pytest.importorskip("openai")
httpx = pytest.importorskip("httpx")
pytest.importorskip("fastapi")
pytest.importorskip("gradio")

from rag.api.chat import estimate_tokens, turn  # noqa: E402
from rag.api.schemas import ChatMessage  # noqa: E402
from rag.errors import InputError  # noqa: E402
from rag.ui.load_check import free_port, wait_until_up  # noqa: E402

from .conftest import CITIES, SEEDS, SHENZHEN  # noqa: E402

KEY = "test-key-1234"
QUESTION = "which cities were named in 2015?"
BAOTOU = "002_b7bf3aecb8f9b87f.txt"
REFERENCE_KEYS = {
    "n", "doc_id", "title", "date", "source", "url", "text", "passage_start", "passage_end", "quote_start", "quote_end",
}
UPLOAD_TEXT = (
    "测试城市举办首届桂花节\n\n2024-09-01 10:30 测试日报\n\n"
    "　　9月1日上午,测试城市在滨江公园举办首届桂花节,活动为期七天,首日吸引游客三万人次。\n"
    "　　主办方表示,明年将继续举办桂花节,并增加夜间灯光展和非遗市集。\n"
)


@pytest.fixture(scope="module")
def server(real_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``rag serve --api-key`` as a user starts it, over a private copy of the seeds index, on a free port."""
    work = tmp_path_factory.mktemp("api")
    index = work / "index"
    shutil.copytree(real_index, index)
    port = free_port()
    log = (work / "server.log").open("w")
    cmd = [sys.executable, "-m", "rag.cli", "serve", "--index", str(index), "--port", str(port), "--api-key", KEY]
    # an OpenAI-compatible endpoint that refuses connections: rag-openai must fall back, not break
    env = {**os.environ, "RAG_API_WORKERS": "4", "RAG_LLM_BASE_URL": f"http://127.0.0.1:{free_port()}/v1"}
    proc = subprocess.Popen(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{url}/healthz", proc, timeout=600)
        yield url
    finally:
        proc.terminate()
        proc.wait(60)
        log.close()


@pytest.fixture(scope="module")
def client(server: str) -> Any:
    return openai.OpenAI(base_url=f"{server}/v1", api_key=KEY, timeout=300, max_retries=0)


@pytest.fixture(scope="module")
def http(server: str) -> Iterator[Any]:
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {KEY}"}, timeout=300) as c:
        yield c


def ask(client: Any, content: str = QUESTION, **kw: Any) -> Any:
    return client.chat.completions.create(model="rag-extractive", messages=[{"role": "user", "content": content}], **kw)


# ---- chat ---------------------------------------------------------------------------------------


def test_models_lists_the_generators_default_first(client: Any) -> None:
    ids = [m.id for m in client.models.list()]
    assert ids[0] == "rag-extractive"
    assert set(ids) == {"rag-extractive", "rag-openai", "rag-local"}


def test_completion_names_the_six_cities_with_references(client: Any) -> None:
    r = ask(client, extra_body={"k": 5})
    message = r.choices[0].message
    assert all(city in message.content for city in CITIES), message.content
    assert message.refused is False
    refs = message.references
    assert refs and all(REFERENCE_KEYS <= set(ref) for ref in refs)
    assert SHENZHEN in {ref["doc_id"] for ref in refs}
    for ref in refs:  # the quote lies inside the passage, and the [n] markers are the references' numbers
        assert ref["passage_start"] <= ref["quote_start"] < ref["quote_end"] <= ref["passage_end"]
        assert f"[{ref['n']}]" in message.content
    assert r.usage.total_tokens > 0 and r.usage.model_extra["estimated"] is True


def test_a_timeline_comes_with_its_dated_lines(client: Any) -> None:
    r = client.chat.completions.create(model="rag-extractive", messages=[{"role": "user", "content": "质量强市的时间线"}])
    message = r.choices[0].message
    assert message.kind == "timeline" and len(message.dated) >= 4
    dates = [d["date"] for d in message.dated if d["date"]]
    assert dates == sorted(dates) and {d["n"] for d in message.dated} <= {ref["n"] for ref in message.references}
    assert all(d["text"].rstrip("。；;！!？?") in message.content for d in message.dated)


def test_streamed_completion_carries_references_on_the_final_chunk(client: Any) -> None:
    text, final, chunks = "", None, 0
    for chunk in ask(client, stream=True, stream_options={"include_usage": True}):
        chunks += 1
        if not chunk.choices:
            assert chunk.usage.total_tokens > 0
            continue
        choice = chunk.choices[0]
        text += choice.delta.content or ""
        if choice.finish_reason:
            final = choice.delta
    assert chunks >= 3
    assert all(city in text for city in CITIES), text
    assert final is not None and final.refused is False
    assert SHENZHEN in {ref["doc_id"] for ref in final.references}
    assert all(f"[{ref['n']}]" in text for ref in final.references)


def test_stream_ends_with_done(http: Any) -> None:
    body = {"model": "rag-extractive", "stream": True, "messages": [{"role": "user", "content": QUESTION}]}
    with http.stream("POST", "/v1/chat/completions", json=body) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        data = [line[5:].strip() for line in r.iter_lines() if line.startswith("data:")]
    assert data[-1] == "[DONE]"
    assert json.loads(data[-2])["choices"][0]["finish_reason"] == "stop"


def test_follow_up_uses_the_history(client: Any) -> None:
    first = "包头市城市质量发展大会在哪里召开?"
    earlier = ask(client, first).choices[0].message.content
    messages = [
        {"role": "system", "content": "Answer from the archive."},
        {"role": "user", "content": first},
        {"role": "assistant", "content": earlier},
        {"role": "user", "content": "它是哪天召开的?"},
    ]
    r = client.chat.completions.create(model="rag-extractive", messages=messages)
    assert {ref["doc_id"] for ref in r.choices[0].message.references} == {BAOTOU}


def test_refusal_is_a_normal_message_with_see_also(client: Any) -> None:
    message = ask(client, "Who won the 2030 World Cup?").choices[0].message
    assert message.refused is True and message.references == []
    assert message.content and message.see_also and REFERENCE_KEYS <= set(message.see_also[0])


def test_model_picks_the_generator_for_that_request_only(client: Any) -> None:
    r = client.chat.completions.create(model="rag-openai", messages=[{"role": "user", "content": QUESTION}])
    meta = r.model_extra["rag"]
    assert r.model == "rag-openai" and meta["generator"] == "extractive"  # the endpoint is down: answered anyway
    assert any("openai generator failed" in w for w in meta["warnings"])
    assert all(city in r.choices[0].message.content for city in CITIES)
    assert [m.id for m in client.models.list()][0] == "rag-extractive"  # the server default is unchanged
    assert ask(client).model_extra["rag"]["warnings"] == []


def test_wrong_or_missing_key_gets_401(server: str) -> None:
    wrong = openai.OpenAI(base_url=f"{server}/v1", api_key="wrong-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError, match="API key"):
        ask(wrong)
    r = httpx.post(f"{server}/v1/search", json={"query": QUESTION})
    assert r.status_code == 401 and "Bearer" in r.json()["error"]["message"]
    assert httpx.get(f"{server}/healthz").status_code == 200  # liveness needs no key


def test_twenty_concurrent_questions_all_answered(client: Any) -> None:
    questions = [QUESTION, "哪些城市在2015年成为第二批全国质量强市示范城市?"] * 10
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(lambda q: ask(client, q).choices[0].message, questions))
    assert len(answers) == 20
    for m in answers:
        assert all(city in m.content for city in CITIES) and SHENZHEN in {ref["doc_id"] for ref in m.references}


# ---- search and documents -----------------------------------------------------------------------


def test_search_returns_the_six_city_passage(http: Any) -> None:
    r = http.post("/v1/search", json={"query": QUESTION, "k": 5})
    assert r.status_code == 200
    hits = r.json()["hits"]
    assert 0 < len(hits) <= 5
    assert {"doc_id", "chunk_id", "text", "title", "date", "source", "url", "score", "found_by"} <= set(hits[0])
    six = [h for h in hits if all(city in h["text"] for city in CITIES)]
    assert six and six[0]["doc_id"] == SHENZHEN
    assert [h["score"] for h in hits] == sorted((h["score"] for h in hits), reverse=True)


def test_search_filters_by_date_and_source(http: Any) -> None:
    hits = http.post("/v1/search", json={"query": "质量", "k": 10, "date_from": "2016", "date_to": "2016-12-31"}).json()["hits"]
    assert hits and all(h["date"].startswith("2016") for h in hits)
    hits = http.post("/v1/search", json={"query": "质量", "source": "中国质量新闻网"}).json()["hits"]
    assert hits and {h["source"] for h in hits} == {"中国质量新闻网"}


def test_as_of_resolves_relative_dates_in_chat_and_search(http: Any) -> None:
    ask = {"messages": [{"role": "user", "content": "去年有多少篇报道提到质量强市?"}]}
    r = http.post("/v1/chat/completions", json={**ask, "as_of": "2017-03-01"})
    message = r.json()["choices"][0]["message"]
    assert r.status_code == 200 and message["content"].startswith("答：共有1篇报道")  # 2016: the Baotou report
    assert [ref["doc_id"] for ref in message["references"]] == ["002_b7bf3aecb8f9b87f.txt"]
    hits = http.post("/v1/search", json={"query": "去年的质量大会", "k": 3, "as_of": "2017-02-01"}).json()["hits"]
    assert hits[0]["doc_id"] == "002_b7bf3aecb8f9b87f.txt"
    r = http.post("/v1/chat/completions", json={**ask, "as_of": "someday"})
    assert r.status_code == 400 and "as_of" in r.json()["error"]["message"]


def test_documents_are_listed_in_pages_and_shown_with_text(http: Any) -> None:
    page = http.get("/v1/documents", params={"limit": 2}).json()
    assert page["total"] >= 5 and len(page["documents"]) == 2
    rest = http.get("/v1/documents", params={"offset": 2, "limit": 100}).json()["documents"]
    ids = [d["doc_id"] for d in page["documents"] + rest]
    assert len(ids) == len(set(ids)) == page["total"]
    doc = http.get(f"/v1/documents/{SHENZHEN}").json()
    assert doc["doc_id"] == SHENZHEN and doc["date"] == "2015-02-02" and "南通" in doc["text"]
    r = http.get("/v1/documents/no-such-doc.txt")
    assert r.status_code == 404 and "GET /v1/documents" in r.json()["error"]["message"]


def test_upload_then_ask_then_delete(http: Any, client: Any) -> None:
    files = [("files", ("api_upload.txt", UPLOAD_TEXT.encode("gb18030"), "text/plain"))]
    r = http.post("/v1/documents", files=files)
    assert r.status_code == 201, r.text
    assert r.json()["added"] == ["api_upload.txt"]
    m = ask(client, "测试城市的桂花节首日吸引了多少游客?").choices[0].message
    assert "三万" in m.content and {ref["doc_id"] for ref in m.references} == {"api_upload.txt"}
    assert http.get("/v1/documents/api_upload.txt").json()["title"] == "测试城市举办首届桂花节"
    r = http.delete("/v1/documents/api_upload.txt")
    assert r.status_code == 200 and r.json()["deleted"] == "api_upload.txt"
    assert http.get("/v1/documents/api_upload.txt").status_code == 404
    assert http.delete("/v1/documents/api_upload.txt").status_code == 404
    hits = http.post("/v1/search", json={"query": "桂花节", "k": 20}).json()["hits"]
    assert "api_upload.txt" not in {h["doc_id"] for h in hits}


def test_an_ingest_does_not_block_questions(http: Any, client: Any, tmp_path: Path) -> None:
    """Questions asked while a large upload is embedding are answered before it ends, from the old index."""
    seed = (SEEDS / SHENZHEN).read_text(encoding="utf-8")
    rows = [{"id": f"bulk-{i}", "title": f"批量测试文章{i}", "date": "2024-01-01", "text": f"批量测试{i}。" + seed}
            for i in range(8)]
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows).encode()
    done: dict[str, float] = {}

    def upload() -> None:
        r = http.post("/v1/documents", files=[("files", ("bulk.jsonl", body))])
        assert r.status_code == 201, r.text
        done["upload"] = time.monotonic()

    t = threading.Thread(target=upload)
    t.start()
    time.sleep(1.0)
    answered = []
    while t.is_alive() and len(answered) < 3:
        r = http.post("/v1/search", json={"query": "批量测试文章", "k": 5})
        answer = ask(client, QUESTION).choices[0].message
        assert all(city in answer.content for city in CITIES)
        answered.append((time.monotonic(), r.status_code, {h["doc_id"] for h in r.json()["hits"]}))
    t.join(600)
    assert "upload" in done
    during = [a for a in answered if a[0] < done["upload"]]
    assert during, "no question was answered while the ingest ran"
    assert all(status == 200 and not any(d.startswith("bulk-") for d in ids) for _, status, ids in during)
    hits = http.post("/v1/search", json={"query": "批量测试文章", "k": 5}).json()["hits"]
    assert any(h["doc_id"].startswith("bulk-") for h in hits)  # switched in once written
    for row in rows:
        assert http.delete(f"/v1/documents/{row['id']}").status_code == 200


# ---- bad input ----------------------------------------------------------------------------------

USER = [{"role": "user", "content": QUESTION}]
BAD_CHAT = [
    ('{"messages": [', 400, "not valid JSON"),
    ({}, 400, "messages: Field required"),
    ({"messages": []}, 400, "at least 1"),
    ({"messages": [{"role": "user", "content": "x" * 1_000_000}]}, 400, "limit is 32,000"),
    ({"messages": [{"role": "user", "content": "   "}]}, 400, "question is empty"),
    ({"messages": [{"role": "assistant", "content": "hi"}]}, 400, "role 'user'"),
    ({"messages": [{"role": "robot", "content": "hi"}]}, 400, "messages.0.role"),
    ({"model": "gpt-4o", "messages": USER}, 400, "rag-extractive"),
    ({"k": 0, "messages": USER}, 400, "k: Input should be greater than or equal to 1"),
    ({"k": 51, "messages": USER}, 400, "less than or equal to 50"),
    ({"date_from": "2015/02/01", "messages": USER}, 400, "YYYY-MM-DD"),
    ({"messages": USER, "padding": "x" * (3 * 2**20)}, 413, "MiB"),
]


@pytest.mark.parametrize(("body", "status", "says"), BAD_CHAT, ids=[c[2] for c in BAD_CHAT])
def test_bad_chat_requests_get_a_4xx_saying_what_to_fix(http: Any, body: Any, status: int, says: str) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    r = http.post("/v1/chat/completions", content=content, headers={"Content-Type": "application/json"})
    assert r.status_code == status, r.text
    assert says in r.json()["error"]["message"]


def test_bad_search_and_paging_get_a_4xx(http: Any) -> None:
    empty = http.post("/v1/search", json={"query": ""}).json()["error"]["message"]
    assert "query: String should have at least 1 character" in empty
    assert http.post("/v1/search", json={"query": "x", "k": 100}).status_code == 400
    assert http.get("/v1/documents", params={"limit": 0}).status_code == 400


@pytest.mark.parametrize(
    ("name", "data", "status", "says"),
    [
        ("bad.txt", b"\xff\xfe\xfa\x80\x81" * 50, 415, "UTF-16 (save it as UTF-8)"),  # not in an encoding we read
        ("archive.md", b"PK\x03\x04" + b"\x00" * 60, 415, "not text"),  # a zip named .md
        ("notes.pdf", b"%PDF-1.4", 415, "unsupported file type"),
        ("rows.jsonl", b'{"id": "a", "text": "ok"}\n{"id": "b"}\n', 415, "bad jsonl line"),
        ("big.txt", b"a" * (10 * 2**20 + 1), 413, "over 10 MB"),
    ],
)
def test_bad_uploads_ingest_nothing(http: Any, name: str, data: bytes, status: int, says: str) -> None:
    before = http.get("/v1/documents").json()["total"]
    good = ("files", ("good_one.txt", UPLOAD_TEXT.encode(), "text/plain"))
    r = http.post("/v1/documents", files=[good, ("files", (name, data))])
    assert r.status_code == status and says in r.json()["error"]["message"], r.text
    assert http.get("/v1/documents").json()["total"] == before
    assert http.get("/v1/documents/good_one.txt").status_code == 404


# ---- one port -----------------------------------------------------------------------------------


def test_ui_api_and_docs_share_one_port(server: str) -> None:
    ui = httpx.get(f"{server}/")
    assert ui.status_code == 200 and "gradio" in ui.text.lower()
    assert httpx.get(f"{server}/docs").status_code == 200
    paths = httpx.get(f"{server}/openapi.json").json()["paths"]
    assert {"/v1/chat/completions", "/v1/search", "/v1/documents", "/v1/models"} <= set(paths)


def test_the_mounted_ui_answers_through_its_own_gradio_api(server: str) -> None:
    from gradio_client import Client

    text, sources = Client(f"{server}/", verbose=False).predict(QUESTION, api_name="/ask")
    assert all(city in text for city in CITIES) and sources["citations"]


# ---- units --------------------------------------------------------------------------------------


def test_turn_takes_the_last_user_message_and_pairs_the_history() -> None:
    msgs = [ChatMessage(role="system", content="be brief"), ChatMessage(role="user", content="q1"),
            ChatMessage(role="assistant", content="a1"), ChatMessage(role="user", content=[{"type": "text", "text": "q2"}])]
    assert turn(msgs) == ("q2", [("q1", "a1")])
    with pytest.raises(InputError, match="role 'user'"):
        turn(msgs[:3])
    with pytest.raises(InputError, match="only text"):
        turn([ChatMessage(role="user", content=[{"type": "image_url", "image_url": {"url": "x"}}])])


def test_token_estimate_counts_cjk_characters_and_latin_text() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("南京南通") == 4
    assert estimate_tokens("abcdefgh") == 2


def test_ui_and_api_writers_share_one_lock_per_index(tmp_path: Path) -> None:
    from rag.library import index_lock

    assert index_lock(tmp_path / "index") is index_lock(tmp_path / "sub" / ".." / "index")
    assert index_lock(tmp_path / "index") is not index_lock(tmp_path / "other")
