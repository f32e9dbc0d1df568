"""The Gradio app: a chat tab with a sources panel and settings, and a documents tab; plus serving."""

from __future__ import annotations

import logging
import os
from typing import Any

import gradio as gr

from rag.errors import InputError
from rag.generators import GENERATORS
from rag.pipeline import Assistant
from rag.settings import Settings

from . import render
from .handlers import MAX_UPLOAD_MB, UPLOAD_SUFFIXES, Handlers
from .style import CSS, JS, theme

logger = logging.getLogger(__name__)

TITLE = "新闻档案问答"
# Answers computed at once (chat and API share the limit); more than the cores only adds contention.
ANSWER_CONCURRENCY = int(os.environ.get("RAG_UI_CONCURRENCY") or min(4, os.cpu_count() or 2))
QUEUE_SIZE = 256
EXAMPLES = (
    "哪些城市在2015年成为第二批全国质量强市示范城市?",
    "which cities were named in 2015?",
    "目前已经命名的全国质量强市示范城市有多少个?",
    "聊城实施质量强市战略动员暨科学技术奖励大会上表彰了什么?",
    "When was the Baotou city quality development conference held?",
    "顾维中是谁?",
)
GENERATOR_CHOICES = [(f"{p.label or name}（{p.about}）" if p.about else p.label or name, name) for name, p in GENERATORS.items()]
DOC_HEADERS = ["文档 ID", "标题", "日期", "来源", "段落", "字数", "转载（同一报道）"]


def build_app(assistant: Assistant) -> gr.Blocks:
    """The whole UI over one ``Assistant`` (queue configured; launch with ``launch``)."""
    h = Handlers(assistant)
    with gr.Blocks(title=TITLE, analytics_enabled=False) as app:
        with gr.Column(elem_id="app-header"):
            gr.HTML(f"<h1>{TITLE}</h1><p>基于中文新闻档案检索作答，每句话都附带可核查的原文引用。</p>", padding=False)
        with gr.Tabs():
            with gr.Tab("问答", id="chat-tab"):
                _chat_tab(h)
            with gr.Tab("检索", id="search-tab"):
                _search_tab(h)
            with gr.Tab("文档", id="docs-tab") as docs_tab:
                refresh = _documents_tab(h)
        docs_tab.select(**refresh)
        gr.api(h.ask, api_name="ask", concurrency_id="answer", concurrency_limit=ANSWER_CONCURRENCY)
        gr.api(h.documents_api, api_name="documents")
    app.queue(default_concurrency_limit=2, max_size=QUEUE_SIZE)
    return app


def _chat_tab(h: Handlers) -> None:
    s = h.assistant.settings
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=420):
            chat = gr.Chatbot(
                elem_id="chat",
                height=520,
                show_label=False,
                feedback_options=None,
                buttons=[],
                placeholder="**向新闻档案提问**<br>答案中的 [n] 标注可点击，右侧显示对应的原文段落。",
            )
            with gr.Row(equal_height=True):
                question = gr.Textbox(
                    placeholder="输入问题，按回车发送（支持中文与英文）",
                    show_label=False,
                    scale=6,
                    elem_id="question",
                    max_lines=4,
                    container=False,
                )
                send = gr.Button("发送", variant="primary", scale=1, min_width=80, elem_id="send")
                clear = gr.Button("清空对话", variant="secondary", scale=1, min_width=80, elem_id="clear")
            gr.HTML('<div id="examples-label">示例问题（点击即问）</div>', padding=False)
            with gr.Row(elem_id="examples"):
                examples = [gr.Button(q, size="sm", variant="secondary", elem_classes="example") for q in EXAMPLES]
            with gr.Accordion("检索与生成设置", open=False, elem_id="settings"):
                k, date_from, date_to, as_of = _retrieval_settings(s)
                _generator_settings(h, s)
        with gr.Column(scale=2, min_width=320):
            gr.HTML('<div class="src-section" style="font-size:.85rem">来源</div>', padding=False)
            sources = gr.HTML(render.sources_panel([]), elem_id="sources", padding=False, max_height=760)
    history, turns = gr.State([]), gr.State([])
    ins = [question, chat, history, turns, k, date_from, date_to, as_of]
    outs = [question, chat, sources, history, turns]
    common = {
        "outputs": outs,
        "concurrency_id": "answer",
        "concurrency_limit": ANSWER_CONCURRENCY,
        "show_progress": "hidden",
    }
    question.submit(h.respond, ins, api_name="chat", api_visibility="undocumented", **common)
    send.click(h.respond, ins, api_visibility="private", **common)
    for button, text in zip(examples, EXAMPLES, strict=True):
        button.click(lambda t=text: t, None, question, queue=False, api_visibility="private").then(
            h.respond, ins, api_visibility="private", **common
        )
    clear.click(h.clear, None, outs, queue=False, api_visibility="private")
    chat.clear(h.clear, None, outs, queue=False, api_visibility="private")  # the chatbot's own trash icon


def _retrieval_settings(s: Settings, prefix: str = "") -> tuple[gr.Slider, gr.Textbox, gr.Textbox, gr.Textbox]:
    with gr.Row():
        k = gr.Slider(1, 20, value=s.top_k, step=1, label="检索段落数", info="每个问题交给生成器的段落数", elem_id=f"{prefix}k")
        date_from = gr.Textbox(label="起始日期", placeholder="如 2015 或 2015-01-01", elem_id=f"{prefix}date-from")
        date_to = gr.Textbox(label="截止日期", placeholder="如 2016-12-31", elem_id=f"{prefix}date-to")
        as_of = gr.Textbox(
            label="提问日期", placeholder="默认今天，如 2020-05-01", info="“去年”“上个月”等按此日期理解", elem_id=f"{prefix}as-of"
        )
    return k, date_from, date_to, as_of


SORTS = [("按相关度", "relevance"), ("最新在前", "newest"), ("最早在前", "oldest")]


def _search_tab(h: Handlers) -> None:
    """Articles for a query, not an answer: ranked passages with their dates, sortable by date."""
    with gr.Row(equal_height=True):
        query = gr.Textbox(placeholder="输入关键词或问题，列出相关报道", show_label=False, scale=6, elem_id="search-query", container=False)
        go = gr.Button("检索", variant="primary", scale=1, min_width=80, elem_id="search-go")
    with gr.Row():
        k, date_from, date_to, as_of = _retrieval_settings(h.assistant.settings, prefix="search-")
    with gr.Row():
        source = gr.Textbox(label="来源", placeholder="只看某一来源（可留空）", elem_id="search-source")
        order = gr.Radio(SORTS, value="relevance", label="排序", elem_id="search-order")
    results = gr.HTML(render.search_results([], "relevance"), elem_id="search-results", padding=False)
    ins = [query, k, date_from, date_to, as_of, source, order]
    common = {"outputs": results, "concurrency_id": "answer", "concurrency_limit": ANSWER_CONCURRENCY}
    query.submit(h.search, ins, api_visibility="private", **common)
    go.click(h.search, ins, api_visibility="private", **common)
    order.change(h.search, ins, api_visibility="private", **common)


def _generator_settings(h: Handlers, s: Settings) -> None:
    with gr.Row():
        name = gr.Radio(GENERATOR_CHOICES, value=s.generator, label="生成器", elem_id="generator")
    with gr.Row(visible=s.generator == "openai") as openai_row:
        base_url = gr.Textbox(s.llm_base_url, label="接口地址（OpenAI 兼容）", elem_id="llm-base-url")
        model = gr.Textbox(s.llm_model, label="模型名", elem_id="llm-model")
        api_key = gr.Textbox(
            "", label="API Key", type="password", placeholder="留空则沿用当前设置", elem_id="llm-api-key"
        )
    with gr.Row(visible=s.generator == "local") as local_row:
        model_path = gr.Textbox(str(s.local_model_path), label="本地 GGUF 模型文件", elem_id="local-model-path")
    with gr.Row():
        apply = gr.Button("应用生成器设置", variant="primary", size="sm", elem_id="apply-generator")
    status = gr.Markdown(h.generator_status(), elem_id="status-generator")
    name.change(
        lambda n: (gr.update(visible=n == "openai"), gr.update(visible=n == "local")),
        name,
        [openai_row, local_row],
        queue=False,
        api_visibility="private",
    )
    apply.click(
        h.apply_generator,
        [name, base_url, model, api_key, model_path],
        status,
        concurrency_id="settings",
        concurrency_limit=1,
        api_visibility="private",
    )


def _documents_tab(h: Handlers) -> dict[str, Any]:
    summary = gr.Markdown(elem_id="doc-summary")
    table = gr.Dataframe(
        headers=DOC_HEADERS,
        datatype=["str", "str", "str", "str", "number", "number", "str"],
        interactive=False,
        wrap=True,
        max_height=360,
        elem_id="doc-table",
        column_widths=["20%", "32%", "10%", "10%", "6%", "6%", "16%"],
    )
    with gr.Row(equal_height=False):
        with gr.Column(scale=1):
            files = gr.File(
                label=f"上传文章（{' / '.join(UPLOAD_SUFFIXES)}，单个不超过 {MAX_UPLOAD_MB} MB）",
                file_count="multiple",
                file_types=list(UPLOAD_SUFFIXES),
                elem_id="upload",
                height=190,
            )
            add = gr.Button("导入索引", variant="primary", elem_id="ingest")
            ingest_status = gr.Markdown(elem_id="status-ingest")
        with gr.Column(scale=1):
            picked = gr.Dropdown(
                label="选择文档（也可点击表格中的行）", choices=[], elem_id="doc-picker", allow_custom_value=False
            )
            with gr.Row():
                remove = gr.Button("删除此文档", variant="stop", elem_id="remove")
                reload = gr.Button("刷新列表", variant="secondary", elem_id="refresh")
            with gr.Row(visible=False, elem_id="confirm-row") as confirm_row:
                confirm_text = gr.Markdown(elem_id="confirm-text")
                confirm = gr.Button("确认删除", variant="stop", size="sm", elem_id="confirm-remove")
                cancel = gr.Button("取消", size="sm", elem_id="cancel-remove")
            remove_status = gr.Markdown(elem_id="status-remove")
    article = gr.HTML(render.article_view(None), elem_id="article", padding=False)

    refresh = {
        "fn": h.documents_view,
        "inputs": None,
        "outputs": [summary, table, picked],
        "api_visibility": "private",
        "queue": False,
    }

    def pick(rows: Any, evt: gr.SelectData) -> str | None:
        return h.pick_row(rows, evt)

    def ingest(paths: list[str] | None, progress: gr.Progress = gr.Progress()) -> tuple[str, None]:  # noqa: B008
        return h.ingest_files(paths, progress), None

    table.select(pick, table, picked, api_visibility="private", queue=False)
    picked.change(h.show_document, picked, article, api_visibility="private", queue=False)
    reload.click(**refresh)
    add.click(
        ingest, files, [ingest_status, files], concurrency_id="index", concurrency_limit=1, api_visibility="private"
    ).then(**refresh)
    remove.click(
        _ask_confirm, picked, [confirm_row, confirm_text, remove_status], queue=False, api_visibility="private"
    )
    cancel.click(lambda: gr.update(visible=False), None, confirm_row, queue=False, api_visibility="private")
    confirm.click(lambda: gr.update(visible=False), None, confirm_row, queue=False, api_visibility="private").then(
        h.remove_document, picked, remove_status, concurrency_id="index", concurrency_limit=1, api_visibility="private"
    ).then(**refresh).then(lambda: None, None, picked, queue=False, api_visibility="private")
    return refresh


def _ask_confirm(doc_id: str | None) -> tuple[Any, str, str]:
    """Show the confirmation row for ``doc_id`` (or ask the user to pick a document first)."""
    if not doc_id:
        return gr.update(visible=False), "", "请先在上方选择要删除的文档。"
    return gr.update(visible=True), f"确定从索引中删除 `{doc_id}`？此操作不可撤销。", ""


def parse_auth(auth: str | None) -> tuple[str, str] | None:
    """``user:password`` as a pair; ``None`` for no authentication."""
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not (sep and user and password):
        raise InputError("--auth must look like user:password")
    return user, password


def _page_options() -> dict[str, Any]:
    """How the page is served, the same standalone (``launch``) and mounted beside the API (``serve``)."""
    return {
        "auth_message": "请登录以使用新闻档案问答。", "max_file_size": f"{MAX_UPLOAD_MB}mb", "theme": theme(), "css": CSS,
        "js": JS, "ssr_mode": False, "show_error": False, "footer_links": ["api", "settings"],
        "enable_monitoring": False, "mcp_server": False, "pwa": False,
    }


def launch(
    app: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, auth: str | None = None, block: bool = True
) -> str:
    """Serve ``app`` (with the page's theme, CSS and script); returns the local URL when ``block`` is False."""
    _, url, _ = app.launch(
        server_name=host,
        server_port=port,
        auth=parse_auth(auth),
        quiet=not block,
        prevent_thread_lock=not block,
        inbrowser=False,
        share=False,
        **_page_options(),
    )
    return url


def serve(
    settings: Settings, host: str = "127.0.0.1", port: int = 7860, auth: str | None = None, api_key: str | None = None
) -> None:
    """Load and warm the index named by ``settings``; serve the UI at ``/`` and the HTTP API at ``/v1`` on one port."""
    from rag.api import Service, create_app, load_assistant, run

    credentials = parse_auth(auth)  # fail fast on a malformed --auth, before loading models
    assistant = load_assistant(settings)
    app = create_app(Service(assistant), api_key)
    gr.mount_gradio_app(
        app,
        build_app(assistant),
        path="/",
        server_name=host,
        server_port=port,
        auth=credentials,
        **_page_options(),
    )
    logger.info(
        "serving %s on http://%s:%d (UI%s; API at /v1%s)",
        settings.index_dir, host, port, ", basic auth" if auth else "", ", key required" if api_key else "",
    )
    run(app, host, port, api_key)
