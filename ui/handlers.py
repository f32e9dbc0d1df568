"""Event handlers: thin glue between Gradio events and the ``Assistant`` (no retrieval or answer logic here)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.errors import RagError
from rag.ingest import IngestReport
from rag.library import Library
from rag.load import SUFFIXES as UPLOAD_SUFFIXES
from rag.pipeline import Assistant
from rag.types import Answer

from . import render

logger = logging.getLogger(__name__)

MAX_UPLOAD_MB = 10
MAX_HISTORY = 6  # question/answer pairs handed to the assistant for follow-ups
MAX_TURNS = 12  # answers whose sources stay in the sources panel

Message = dict[str, Any]
ChatOut = tuple[Any, list[Message], str, list[tuple[str, str]], list[dict[str, Any]]]


def readable(e: Exception) -> str:
    """A message for the user: the library's own wording for ``RagError``s, a short line otherwise."""
    if isinstance(e, RagError):
        return str(e)
    return f"内部错误（{type(e).__name__}），详情见服务器日志。"


def log_failure(what: str, e: Exception) -> None:
    """User errors at INFO, anything unexpected at ERROR with its traceback (for the operator, not the page)."""
    expected = isinstance(e, RagError)
    logger.log(logging.INFO if expected else logging.ERROR, "%s failed: %s", what, e, exc_info=not expected)


class Handlers:
    """Every UI action, bound to one shared ``Assistant``."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.library = Library(assistant)  # one writer per index, shared with the HTTP API

    # ---- chat -------------------------------------------------------------------------------

    def respond(
        self,
        question: str,
        chat: list[Message] | None,
        history: list[tuple[str, str]] | None,
        turns: list[dict[str, Any]] | None,
        k: float | None,
        date_from: str | None,
        date_to: str | None,
        as_of: str | None = None,
    ) -> Iterator[ChatOut]:
        """Stream one answer into the chat, then show its sources; errors become a readable bubble."""
        chat, history, turns = list(chat or []), list(history or []), list(turns or [])
        panel = render.sources_panel(turns)  # the earlier answers' sources, until this one has its own
        if not (question or "").strip():
            yield "", chat, panel, history, turns
            return
        chat += [
            {"role": "user", "content": render.esc(question.strip())},
            {"role": "assistant", "content": render.streaming_message("")},
        ]
        yield "", chat, panel, history, turns
        try:
            text, answer = "", None
            kw = {"k": int(k) if k else None, "date_from": date_from, "date_to": date_to, "as_of": as_of}
            for piece in self.assistant.stream(question, history=[tuple(h) for h in history], **kw):
                if isinstance(piece, Answer):
                    answer = piece
                    break
                text += piece
                chat[-1] = {"role": "assistant", "content": render.streaming_message(text)}
                yield "", chat, panel, history, turns
            if answer is None:
                raise RuntimeError("the assistant stream ended without an answer")
        except Exception as e:  # shown to the user, logged for the operator
            log_failure("question", e)
            chat[-1] = {"role": "assistant", "content": render.error_message(readable(e))}
            yield "", chat, panel, history, turns
            return
        turn = (turns[-1]["turn"] + 1) if turns else 1
        chat[-1] = {"role": "assistant", "content": render.answer_message(answer, turn)}
        html = render.turn_sources(answer, turn, self.assistant.store.document)
        turns = (turns + [{"turn": turn, "question": answer.question, "html": html}])[-MAX_TURNS:]
        history = (history + [(answer.question, answer.text)])[-MAX_HISTORY:]
        yield "", chat, render.sources_panel(turns), history, turns

    def clear(self) -> tuple[str, list[Message], str, list[Any], list[Any]]:
        """A fresh conversation."""
        return "", [], render.sources_panel([]), [], []

    # ---- search -----------------------------------------------------------------------------

    def search(
        self, query: str, k: float | None, date_from: str | None, date_to: str | None, as_of: str | None,
        source: str | None, order: str,
    ) -> str:
        """Ranked articles for ``query`` (no answer; each article once, with its best passage), as an HTML list
        sorted by relevance or date."""
        if not (query or "").strip():
            return render.search_results([], order)
        try:
            n = int(k or 10)
            passages = self.assistant.search(
                query, k=min(4 * n, 200), date_from=date_from, date_to=date_to, as_of=as_of,
                source=(source or "").strip() or None,
            )
            best: dict[str, Any] = {}
            for hit in passages:
                best.setdefault(hit.chunk.doc_id, hit)
            hits = list(best.values())[:n]
        except Exception as e:
            log_failure("search", e)
            return render.error_message(readable(e))
        return render.search_results(hits, order)

    # ---- API --------------------------------------------------------------------------------

    def ask(self, question: str, k: int = 0, date_from: str = "", date_to: str = "") -> tuple[str, dict]:
        """Answer ``question`` (``k`` passages, 0 = default; optional ISO date range): answer text and sources."""
        import gradio as gr

        try:
            answer = self.assistant.ask(question, k=int(k) or None, date_from=date_from, date_to=date_to)
        except RagError as e:
            raise gr.Error(str(e), print_exception=False) from None
        return answer.text, render.sources_json(answer)

    def documents_api(self) -> list[dict]:
        """What is indexed: one row per document (doc_id, title, date, source, chunks, chars)."""
        return self.assistant.store.documents()

    # ---- settings ---------------------------------------------------------------------------

    def generator_status(self) -> str:
        """Which generator answers now."""
        s = self.assistant.settings
        where = {"openai": f" · `{s.llm_base_url}` · 模型 `{s.llm_model}`", "local": f" · `{s.local_model_path}`"}
        return f"当前生成器：**{render.GENERATOR_LABELS.get(s.generator, s.generator)}**{where.get(s.generator, '')}"

    def apply_generator(self, name: str, base_url: str, model: str, api_key: str, model_path: str) -> str:
        """Switch generator at run time (no restart); a failure leaves the previous one in place."""
        llm: dict[str, Any] = {}
        if name == "openai":
            llm = {
                "llm_base_url": base_url.strip() or None,
                "llm_model": model.strip() or None,
                "llm_api_key": api_key.strip() or None,
            }
        elif name == "local":
            llm = {"local_model_path": model_path.strip() or None}
        try:
            self.assistant.use_generator(name, **llm)
        except Exception as e:
            logger.warning("generator switch to %s failed: %s", name, e)
            return f"切换失败：{readable(e) if isinstance(e, RagError) else f'{type(e).__name__}: {str(e)[:200]}'}"
        return "已切换。" + self.generator_status()

    # ---- documents --------------------------------------------------------------------------

    def documents_view(self) -> tuple[str, list[list[Any]], Any]:
        """Summary line, table rows and the document picker's choices."""
        import gradio as gr

        docs = self.assistant.store.documents()
        for d in docs:  # the reprint cluster of each article ("also reported by")
            d["reprints"] = self.assistant.clusters.duplicates(d["doc_id"])
        choices = [(f"{d['doc_id']} · {d.get('title') or ''}"[:80], d["doc_id"]) for d in docs]
        summary = render.documents_summary(docs, self.assistant.store.manifest)
        return summary, render.documents_rows(docs), gr.update(choices=choices)

    def show_document(self, doc_id: str | None) -> str:
        """The whole cleaned article."""
        return render.article_view(self.assistant.store.document(doc_id) if doc_id else None)

    def pick_row(self, rows: Any, evt: Any) -> str | None:
        """The doc id of the table row the user clicked."""
        index = getattr(evt, "index", None)
        row = index[0] if isinstance(index, (list, tuple)) else None
        values = rows.values.tolist() if hasattr(rows, "values") else rows
        return values[row][0] if row is not None and values and row < len(values) else None

    def ingest_files(self, files: list[str] | None, progress: Any = None) -> str:
        """Ingest uploaded files into the live index, with progress; returns a readable report."""
        paths = [Path(f) for f in (files or [])]
        if not paths:
            return "请先选择要导入的文件（txt、md、html、htm、jsonl）。"
        bad = [p.name for p in paths if p.suffix.lower() not in UPLOAD_SUFFIXES]
        big = [p.name for p in paths if p.stat().st_size > MAX_UPLOAD_MB * 2**20]
        if bad or big:
            return _rejected(bad, big)
        try:
            report = self._ingest(paths, progress)
        except Exception as e:
            log_failure("ingest", e)
            return f"导入失败：{readable(e)}"
        return _ingest_summary(report)

    def _ingest(self, paths: list[Path], progress: Any) -> IngestReport:
        track = (lambda done, total: progress((done, total), desc="正在向量化段落", unit="段落")) if progress else None
        if progress:
            progress(0, desc="正在读取与切分文章")
        return self.library.ingest(paths, track)

    def remove_document(self, doc_id: str | None) -> str:
        """Remove one document from the live index."""
        if not doc_id:
            return "请先在上方选择要删除的文档。"
        try:
            gone = self.library.remove([doc_id])
        except Exception as e:
            log_failure("remove", e)
            return f"删除失败：{readable(e)}"
        return f"已删除 `{doc_id}`。" if gone else f"`{doc_id}` 不在索引中。"


def _rejected(bad: list[str], big: list[str]) -> str:
    parts = []
    if bad:
        parts.append(f"不支持的文件类型：{'、'.join(bad)}（仅支持 {' / '.join(UPLOAD_SUFFIXES)}）")
    if big:
        parts.append(f"文件过大：{'、'.join(big)}（单个文件不超过 {MAX_UPLOAD_MB} MB）")
    return "未导入。" + "；".join(parts) + "。"


def _ingest_summary(r: IngestReport) -> str:
    lines = [
        f"导入完成：新增 {len(r.added)} 篇，更新 {len(r.updated)} 篇，未变 {r.unchanged} 篇，跳过 {len(r.skipped)} 个；"
        f"向量化 {r.chunks_embedded} 个段落，用时 {r.seconds:.1f} 秒。索引现有 {r.documents} 篇 / {r.chunks} 个段落。"
    ]
    lines += [f"- 跳过 `{Path(s.path).name}`：{s.reason}" for s in r.skipped]
    return "\n".join(lines)
