"""Pure rendering: answers, sources and documents as HTML or JSON (no Gradio, no retrieval logic)."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any

from rag.cite import normalise_marks
from rag.generators import GENERATORS
from rag.stores import Manifest
from rag.temporal import zh_date
from rag.types import Answer, Citation, Document, Hit

_MARKER = re.compile(r"\[(\d{1,3})\]")
TIMING_LABELS = {"retrieve_ms": "检索", "generate_ms": "生成", "verify_ms": "核验", "total_ms": "总计"}
GENERATOR_LABELS = {name: p.label or name for name, p in GENERATORS.items()}
QUOTE_HOVER = 240  # characters of a quoted span shown when hovering its [n]
_SHORT_LINE = re.compile(r"^((?:答|Answer)[:：][^\n]*)(?:\n|$)")
FULLTEXT_LIMIT = 60_000  # characters of an article shown inline; longer ones are cut around the quote

DocumentLookup = Callable[[str], Document | None]


def esc(text: Any) -> str:
    """HTML-escape any value (``None`` becomes an empty string)."""
    return html.escape("" if text is None else str(text), quote=True)


def anchor(turn: int, n: int) -> str:
    """The element id of source ``n`` of answer ``turn``."""
    return f"src-{turn}-{n}"


def badges(text: str, turn: int | None, quotes: dict[int, str] | None = None) -> str:
    """Escape answer text and turn each ``[n]`` into a clickable badge linking to its source card; hovering a badge
    shows the span it quotes (``quotes``: n -> the quoted text)."""

    def badge(m: re.Match[str]) -> str:
        n = int(m.group(1))
        if turn is None:
            return f'<span class="cite cite-pending">{n}</span>'
        quote = (quotes or {}).get(n)
        hover = f"[{n}] {_clip(quote)}" if quote else f"查看来源 {n}"
        return f'<a class="cite" href="#{anchor(turn, n)}" data-target="{anchor(turn, n)}" title="{esc(hover)}">{n}</a>'

    return _MARKER.sub(badge, esc(text)).replace("\n", "<br>")


def _clip(text: str, limit: int = QUOTE_HOVER) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quote_span(c: Citation) -> tuple[int, int]:
    """Where the quote of citation ``c`` lies in its passage text."""
    return c.quote_start - c.start, c.quote_end - c.start


def quoted(c: Citation) -> str:
    """The span of its passage that citation ``c`` quotes (the whole passage if no span is marked)."""
    s, e = quote_span(c)
    return c.text[s:e] if 0 <= s < e <= len(c.text) else c.text


def streaming_message(text: str) -> str:
    """The assistant bubble while pieces arrive (markers are not final yet, so not linked)."""
    return f'<div class="answer streaming">{badges(text, None)}<span class="cursor"></span></div>'


def answer_message(answer: Answer, turn: int) -> str:
    """The final assistant bubble: answer (or refusal), warnings and a discreet timing line."""
    if answer.refused:
        body = (
            f'<div class="refusal"><span class="refusal-tag">未找到答案</span>'
            f'<div class="refusal-text">{esc(answer.text)}</div>'
            f'<div class="refusal-hint">{esc(REFUSAL_WHY if answer.see_also else REFUSAL_EMPTY)}</div></div>'
        )
    elif answer.dated:
        body = f'<div class="answer">{timeline(answer, turn)}</div>'
    else:
        quotes = {c.n: quoted(c) for c in answer.citations}
        short = _SHORT_LINE.match(answer.text)
        rest = answer.text[short.end() :] if short else answer.text
        lead = f'<div class="short-answer">{badges(short.group(1), turn, quotes)}</div>' if short else ""
        body = f'<div class="answer">{lead}{badges(rest, turn, quotes)}</div>'
    warnings = "".join(f'<div class="warn">⚠ {esc(w)}</div>' for w in answer.warnings)
    return body + warnings + timing_line(answer)


def timeline(answer: Answer, turn: int) -> str:
    """A time answer drawn as a timeline: what the answer says before its items (its heading; an LLM's summary), then
    one dated, cited item per event or report."""
    quotes = {c.n: quoted(c) for c in answer.citations}
    at = answer.text.find(answer.dated[0].text.rstrip("。！？!?；;.")) if answer.dated else -1  # '…来抓[1]。' as checked
    head = answer.text[: answer.text.rfind("\n", 0, at) + 1].strip() if at > 0 else ""  # all before the first item
    named = answer.kind in ("compare", "same", "each")  # each item is one of the question's events
    items = "".join(
        f'<li class="tl-item"><span class="tl-date">{esc(zh_date(d.date))}</span>'
        + (f'<span class="tl-event">{esc(d.event)}</span>' if named else "")
        + f'<span class="tl-text">{badges(normalise_marks(f"{d.text}[{d.n}]"), turn, quotes)}</span></li>'
        for d in answer.dated
    )
    kind = "tl-head short-answer" if _SHORT_LINE.match(head) else "tl-head"  # 答：最早的是…, 答：共有5篇报道…
    lead = f'<div class="{kind}">{badges(head, turn, quotes)}</div>' if head else ""
    return f'{lead}<ol class="timeline" data-kind="{esc(answer.kind)}">{items}</ol>'


REFUSAL_WHY = (
    "为什么没有回答：右侧是与问题最接近的段落，但其中没有一句话同时包含问题所问的对象和所要的信息"
    "（例如所问的数字、日期或人名），为避免编造，不作回答。"
)
REFUSAL_EMPTY = "为什么没有回答：资料库中没有与问题相关的段落。"


def timing_line(answer: Answer) -> str:
    """``检索 290 ms · 生成 1 ms · … · 抽取式`` in small muted type."""
    parts = [f"{label} {answer.timings[key]:.0f} ms" for key, label in TIMING_LABELS.items() if key in answer.timings]
    parts.append(GENERATOR_LABELS.get(answer.generator, answer.generator))
    return f'<div class="timings">{" · ".join(esc(p) for p in parts)}</div>'


def error_message(message: str) -> str:
    """An error bubble with a readable message (never a traceback)."""
    return f'<div class="error-msg"><span class="error-tag">出错了</span> {esc(message)}</div>'


def highlight(text: str, start: int, end: int) -> str:
    """Escape ``text`` with ``text[start:end]`` wrapped in ``<mark>`` (clamped; no mark if empty)."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    if end <= start:
        return esc(text)
    return f"{esc(text[:start])}<mark>{esc(text[start:end])}</mark>{esc(text[end:])}"


def _meta(c: Citation | Document, extra: str = "") -> str:
    items = [esc(c.date or "日期不详")]
    if c.source:
        items.append(esc(c.source))
    items.append(f'<code class="doc-id">{esc(c.doc_id)}</code>')
    return f'<div class="src-meta">{" · ".join(items)}{extra}</div>'


def _full_article(doc: Document | None, c: Citation, mark: bool) -> str:
    if doc is None:
        return ""
    text, s, e = doc.text, c.quote_start, c.quote_end
    offset = 0
    if len(text) > FULLTEXT_LIMIT:
        offset = max(0, min(c.start - FULLTEXT_LIMIT // 2, len(text) - FULLTEXT_LIMIT))
        text = text[offset : offset + FULLTEXT_LIMIT]
    body = highlight(text, s - offset, e - offset) if mark else esc(text)
    return (
        f'<details class="src-full"><summary>阅读全文（{len(doc.text)} 字）</summary>'
        f'<div class="fulltext">{body}</div></details>'
    )


def source_card(c: Citation, turn: int, doc: Document | None, see_also: bool = False) -> str:
    """One cited passage: title, date, source, doc id, the passage with its cited span marked, full article."""
    passage = esc(c.text) if see_also else highlight(c.text, *quote_span(c))
    kind = "src-card see-also" if see_also else "src-card"
    label = "参考" if see_also else str(c.n)
    return (
        f'<article class="{kind}" id="{anchor(turn, c.n)}" data-doc-id="{esc(c.doc_id)}">'
        f'<div class="src-title"><span class="src-n">{label}</span><span>{esc(c.title or c.doc_id)}</span></div>'
        f"{_meta(c)}"
        f"{_also(c)}"
        f'<div class="src-passage">{passage}</div>'
        f"{_full_article(doc, c, not see_also)}</article>"
    )


def _also(c: Citation) -> str:
    """'Also reported by N outlets' under a source whose story was reprinted (the copies' ids on hover)."""
    if not c.also:
        return ""
    return f'<div class="src-also" title="{esc(", ".join(c.also))}">另有 {len(c.also)} 篇转载同一报道</div>'


def turn_sources(answer: Answer, turn: int, lookup: DocumentLookup) -> str:
    """The source cards of one answer (its citations, or the see-also passages of a refusal)."""
    cards = answer.see_also if answer.refused else answer.citations
    docs = {d: lookup(d) for d in dict.fromkeys(c.doc_id for c in cards)}
    body = "".join(source_card(c, turn, docs[c.doc_id], answer.refused) for c in cards)
    if answer.refused:
        head = '<div class="src-section see-also-head">没有可引用的依据 · 最接近的段落（仅供参考）</div>'
        return head + (body or '<div class="src-empty">资料库中没有相关段落。</div>')
    return f'<div class="src-section">{len(cards)} 处引用</div>' + body


def sources_panel(turns: list[dict[str, Any]]) -> str:
    """The sources panel: the last answer's sources, earlier answers' folded underneath."""
    if not turns:
        return (
            '<div class="src-panel"><div class="src-placeholder">'
            "提问后，答案引用的原文段落会显示在这里：标题、日期、来源、文档 ID，引用内容以高亮标出。"
            "</div></div>"
        )
    last, earlier = turns[-1], turns[-2::-1]
    html_ = [f'<div class="src-panel"><div class="src-question">问：{esc(last["question"])}</div>{last["html"]}']
    for t in earlier:
        summary = f"第 {t['turn']} 问：{esc(t['question'])}"
        html_.append(f'<details class="src-older"><summary>{summary}</summary>{t["html"]}</details>')
    return "".join(html_) + "</div>"


def sources_json(answer: Answer) -> dict[str, Any]:
    """What the ``ask`` API returns beside the answer text."""
    return {k: v for k, v in answer.to_dict().items() if k not in ("question", "text")}


def documents_summary(docs: list[dict[str, Any]], manifest: Manifest) -> str:
    """One line on what is indexed: articles, chunks, date range, embedder."""
    if not docs:
        return "索引为空：请在下方上传文章。"
    dates = sorted(d["date"] for d in docs if d.get("date"))
    span = f"{dates[0]} 至 {dates[-1]}" if dates else "无日期"
    chunks = sum(int(d.get("chunks") or 0) for d in docs)
    created = (manifest.created or "?")[:19].replace("T", " ")
    return (
        f"**{len(docs)}** 篇文章 · **{chunks}** 个段落 · 日期 {span} · "
        f"向量模型 `{manifest.params.embedder}` · 索引更新于 {created}"
    )


def documents_rows(docs: list[dict[str, Any]]) -> list[list[Any]]:
    """Rows for the documents table (``reprints``: the other copies of the story, when known)."""
    return [
        [d["doc_id"], d.get("title") or "", d.get("date") or "", d.get("source") or "", d["chunks"], d["chars"],
         "、".join(d.get("reprints") or ())]
        for d in docs
    ]


def article_view(doc: Document | None) -> str:
    """A whole cleaned article for the documents tab."""
    if doc is None:
        return '<div class="src-placeholder">选择一篇文档查看全文。</div>'
    return (
        f'<article class="article-view"><h3>{esc(doc.title or doc.doc_id)}</h3>{_meta(doc)}'
        f'<div class="fulltext">{esc(doc.text)}</div></article>'
    )


def search_results(hits: list[Hit], order: str = "relevance") -> str:
    """Ranked passages as article cards (rank, score, which retriever found it), optionally sorted by date."""
    if not hits:
        return '<div class="src-empty">输入关键词后列出相关报道（不生成答案）。</div>'
    ranked = list(enumerate(hits, 1))
    if order in ("newest", "oldest"):
        dated = sorted((x for x in ranked if x[1].chunk.date), key=lambda x: x[1].chunk.date or "", reverse=order == "newest")
        ranked = dated + [x for x in ranked if not x[1].chunk.date]
    cards = []
    for rank, h in ranked:
        c = h.chunk
        meta = " · ".join(esc(x) for x in (c.date or "日期不详", c.source, c.doc_id) if x)
        also = f'<div class="src-also" title="{esc(", ".join(h.also))}">另有 {len(h.also)} 篇转载同一报道</div>' if h.also else ""
        cards.append(
            f'<div class="src-card search-hit" data-doc="{esc(c.doc_id)}">'
            f'<div class="src-head"><b>{rank}. {esc(c.title or c.doc_id)}</b></div>'
            f'<div class="src-meta">{meta} · 得分 {h.score:.4f} · {esc("+".join(h.found_by))}</div>{also}'
            f'<div class="src-text">{esc(c.text[:400])}{"…" if len(c.text) > 400 else ""}</div></div>'
        )
    return f'<div class="search-results"><div class="src-section">{len(hits)} 条结果</div>{"".join(cards)}</div>'
