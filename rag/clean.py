"""Strip scraped-page junk and extract article metadata (title, date, source, years mentioned)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .load import RawArticle
from .types import Document

# A line that is chrome wherever it appears.
_JUNK_LINE = re.compile(
    r"^(?:"
    r".{0,20}(?:您所在的位置|您当前位置|您的位置|当前位置)\s*[:：].*"  # breadcrumbs
    r"|[\w\-]{6,}\.(?:jpe?g|png|gif|webp|bmp)"  # image file names
    r"|\d{1,6}"  # counters and numbering left from layout
    r"|查看\s*[:：]\s*\d+\s*\|\s*回复\s*[:：]\s*\d+"
    r"|\[?复制链接\]?|找回密码|立即注册|手机号码\s*[,，]\s*快捷登录|搜索|主题|帖子|积分|回复|举报|使用道具\s*举报"
    r"|[\(（]\s*责任编辑\s*[:：].*[\)）]"
    r"|.{0,10}(?:浏览|点击|阅读)(?:次数|量)?\s*[:：]?\s*\d*\s*次?"
    r"|(?:上一篇|下一篇|返回顶部|返回列表|打印本页|关闭窗口|收藏本文).*"
    r")$"
)
# A share bar at the start of a line, the article running on after it on the same line.
_SHARE_BAR = re.compile(r"^(?:用微信扫码二维码\s*分享至好友和朋友圈|(?:(?:QQ好友|QQ空间|微信好友|朋友圈|微博|微信|复制链接)\s*){3,})\s*")
# A line after which the rest of the page is footer (share bars, related links, copyright, disclaimers).
_TAIL_MARKER = re.compile(
    r"^(?:分享到|相关文章|相关新闻|相关阅读|相关报道|相关链接|相关推荐|推荐阅读|延伸阅读|猜你喜欢|热门文章"
    r"|Copyright|版权所有|©|声明\s*[:：]|图片新闻|最新新闻|最新评论|热门推荐"
    r"|您需要登录后|本版积分规则|快速回复|Powered by|Archiver)",
    re.IGNORECASE,
)
_DATE = r"(?P<y>(?:19|20)\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
_DATE_RE = re.compile(_DATE)
# A publication line: a date with a time or publishing words, and little else.
_DATELINE = re.compile(
    r"^(?:.{0,12}(?:发布|发表于|发表|时间|日期|更新)\s*[:：]?\s*)?" + _DATE + r"(?:\s*\d{1,2}:\d{2}(?::\d{2})?)?(?P<rest>.*)$"
)
_SOURCE = re.compile(r"来源\s*[:：]\s*(?P<src>[^\s|]+)")
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*年")
# A bare year set off like a word ("in 2019,", "(2015)"): not "2000多人", "3.2015", "12,2019,000"
_BARE_YEAR = re.compile(r"(?<![\w.,])((?:19|20)\d{2})(?!\w|[.,]\d)")
_SENTENCE_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})年(?P<m>\d{1,2})月(?:(?P<d>\d{1,2})日)?")
_TITLE_MAX = 60
_CHROME_MAX = 300  # at most this much text above a dateline is taken as page chrome
_LEAD_MAX = 40


@dataclass(frozen=True)
class _Header:
    title: str | None
    date: str | None
    source: str | None
    dateline: int | None


def clean_text(text: str) -> str:
    """Normalise whitespace and drop junk lines and the footer; keeps the article's own text intact."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_SHARE_BAR.sub("", _norm_line(line)) for line in text.split("\n")]
    kept: list[str] = []
    total = sum(len(line) for line in lines) or 1
    seen = 0
    for line in lines:
        seen += len(line)
        if not line:
            continue
        if _TAIL_MARKER.match(line) and len(line) <= 80:
            if seen / total > 0.5:
                break
            continue
        if _JUNK_LINE.match(line):
            continue
        kept.append(line)
    return "\n".join(kept)


def _norm_line(line: str) -> str:
    return re.sub(r"[ \t\u3000\xa0]+", " ", line).strip()


def _find_header(lines: list[str]) -> _Header:
    """Title, date and source from a dateline near the top (the title is the last headline above it)."""
    for i, line in enumerate(lines[:40]):
        m = _DATELINE.match(line)
        if not m or len(line) > 80 or re.search(r"[，,。！？；]", m.group("rest")) or _OTHER_DATE.search(line[: m.start("y")]):
            continue
        if sum(len(t) for t in lines[:i]) > _CHROME_MAX:  # long text above a date is article, not page chrome
            break
        title = next((t for t in reversed(lines[:i]) if _is_headline(t)), None)
        src = _SOURCE.search(line)
        rest = m.group("rest").strip()
        source = src.group("src") if src else (rest if rest and _is_headline(rest, min_cjk=2) else None)
        return _Header(title, _iso(m), source, dateline=i)
    return _Header(None, None, None, None)


def _is_headline(line: str, min_cjk: int = 4) -> bool:
    cjk = sum("\u4e00" <= c <= "\u9fff" for c in line)
    return cjk >= min_cjk and len(line) <= _TITLE_MAX and not re.search(r"[。！？!?,，;；:：|>]$|[,，|>]", line)


def _iso(m: re.Match[str]) -> str | None:
    y, mo, d = int(m.group("y")), int(m.group("m")), int(m.group("d") or 1)
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _lead(text: str) -> str | None:
    first = re.split(r"(?<=[。！？!?])", text.split("\n", 1)[0], maxsplit=1)[0].strip()
    if not first:
        return None
    return first if len(first) <= _LEAD_MAX else first[: _LEAD_MAX - 1] + "…"


def clean(article: RawArticle) -> Document:
    """A ``Document`` with junk removed; metadata from the jsonl fields first, then from the text."""
    text = clean_text(article.text)
    lines = text.split("\n")
    header = _find_header(lines)
    if header.dateline is not None and "".join(lines[header.dateline + 1 :]).strip():
        # the page chrome above the dateline goes; the headline stays (a text that is nothing but its
        # headline and dateline keeps them: it is the whole article)
        text = "\n".join(([header.title] if header.title else []) + lines[header.dateline + 1 :])
    meta = article.meta
    first_dated = _SENTENCE_DATE.search(text)
    date = meta.get("date") or header.date or (_iso(first_dated) if first_dated and first_dated.group("d") else None)
    if not text.strip():  # no body left (or none given): a title and a date are still an article
        text = "\n".join(x for x in (meta.get("title") or header.title, _written_date(_normalize_date(date))) if x)
    found = _YEAR.findall(text) + _BARE_YEAR.findall(text)
    years = tuple(sorted({int(y) for y in found} | ({int(date[:4])} if date else set())))
    return Document(
        doc_id=article.doc_id,
        text=text,
        title=meta.get("title") or header.title or _lead(text),
        date=_normalize_date(date),
        source=meta.get("source") or header.source,
        url=meta.get("url"),
        years=years,
    )


def _written_date(iso: str | None) -> str | None:
    """An ISO date as Chinese text writes it (2024-01-29 -> 2024年1月29日; 2024-01 -> 2024年1月)."""
    if not iso:
        return None
    parts = [int(x) for x in iso.split("-")]
    return "".join(f"{n}{unit}" for n, unit in zip(parts, "年月日"))


def _normalize_date(date: str | None) -> str | None:
    """ISO ``YYYY-MM-DD`` from any date string we accept, else ``None`` (never invented)."""
    if not date:
        return None
    m = _DATE_RE.search(date)
    if m:
        return _iso(m)
    y = re.match(r"^((?:19|20)\d{2})(?:-(\d{2}))?$", date.strip())
    return date.strip() if y else None


# A date said to be when the text was posted: "发布时间：2020-01-02", "发表于 2004年12月27日 12:40", "于2005年8月12日16:12发表",
# "发布日期： 9/17/2004 5:54:13 AM" (a numeric date with the year last: see ``_iso_numeric``).
_PLAIN_DATE = re.sub(r"\(\?P<\w+>", "(?:", _DATE)
_NUMERIC_RE = re.compile(
    r"(?<![\d/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>(?:19|20)\d{2})(?![\d/])"
    r"(?:\s*\d{1,2}:\d{2}(?::\d{2})?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?)?"
)
_NUMERIC = re.sub(r"\(\?P<\w+>", "(?:", _NUMERIC_RE.pattern)
_ANY_DATE = "(?:" + _PLAIN_DATE + "|" + _NUMERIC + ")"
_POSTED = re.compile(
    r"(?:发布|发表|更新|刊发|发稿|日期|时间)(?:时间|日期|于)?\s*[:：]?\s*(" + _ANY_DATE + r")"
    + r"|(?<![\d年月])于\s*(" + _ANY_DATE + r")\s*(?:\d{1,2}:\d{2}(?::\d{2})?)?\s*(?:在[^。！？]{0,40})?(?:发表|发布)"
)
# A line that names other content (a related-links or recommendations entry): its date is that content's.
_RELATED_LINE = re.compile(r"^[\[【(（]?\s*(?:相关|推荐|最新|热门|热点|延伸阅读|猜你喜欢|上一篇|下一篇|往期|更多)")
# A date labelled as something other than publication (a forum member's registration or last login, a birth
# date, an event's or a deadline's date): the text just before the date ends with such a label.
_OTHER_DATE = re.compile(
    r"(?:注册|登录|登陆|上线|在线|出生|生日|截止|到期|有效期|开始|结束|举办|举行|活动|报名|开幕|闭幕|考试|成立|入职)"
    r"\s*(?:时间|日期|于)?\s*[:：]?\s*$"
)
# An official document's own date (the "成文日期" field of a Chinese government information-disclosure page: the
# date the document bears and is signed with), as against the day the website posted it ("发布日期").
_DOCUMENT_DATE = re.compile(r"成文日期\s*[:：]?\s*(" + _PLAIN_DATE + r")")
_TITLE_WINDOW = 8  # lines after the headline searched for its dateline
_TITLE_HITS = 3  # at most this many lines holding the headline are tried (a breadcrumb may hold it first)
_HEADLINE_EXTRA = 20  # a line holding the headline is at most this much longer than it


def title_dateline(lines: list[str], titles: list[str] | tuple[str, ...] = ()) -> str | None:
    """The date on the byline just under the headline (the first of ``titles`` found in ``lines``): a line
    that is a date with a time, source or author and no sentence, or a "posted on" phrase (``_POSTED``),
    skipping lines that name related content. ``None`` if no headline is found or none has a dateline."""
    for title in titles:
        flat = re.sub(r"\s+", "", title or "")
        key = flat[:20]
        if len(key) < 2:
            continue
        hits = [  # lines that are the headline (maybe with a site or section name), not body text quoting it
            i for i, line in enumerate(lines)
            if key in (f := re.sub(r"\s+", "", line)) and len(f) <= len(flat) + _HEADLINE_EXTRA
        ][:_TITLE_HITS]
        for at in hits:
            window = lines[at + 1 : at + 1 + _TITLE_WINDOW]
            for j, line in enumerate(window):
                if _RELATED_LINE.match(line):
                    continue
                m = _DATELINE.match(line)
                if (m and len(line) <= 80 and not re.search(r"[，,。！？；]", m.group("rest")) and _iso(m)
                        and not _OTHER_DATE.search(line[: m.start("y")])):
                    return _iso(m)
                nxt = window[j + 1] if j + 1 < len(window) else ""
                p = _POSTED.search(line + "\n" + nxt)
                if p and p.start() < len(line) and len(line) <= 80 and _iso_groups(p) and not _other_label(p):
                    return _iso_groups(p)
    return None


def document_date(lines: list[str]) -> str | None:
    """An official document's own date (``_DOCUMENT_DATE``) in the page text, or ``None``."""
    m = _DOCUMENT_DATE.search("\n".join(lines))
    d = _DATE_RE.search(m.group(1)) if m else None
    return _iso(d) if d else None


def find_dateline(lines: list[str], title: str | None = None) -> str | None:
    """The publication date of a page's text: the dateline just under the headline (``title_dateline``),
    else one near the top (``_find_header``), else the first date said to be when it was posted.
    ``None`` if none."""
    if title:
        date = title_dateline(lines, [title])
        if date:
            return date
    header = _find_header(lines)
    if header.date:
        return header.date
    for m in _POSTED.finditer("\n".join(lines)):  # a posted-by line may be broken over several text nodes
        iso = _iso_groups(m)
        if iso and not _other_label(m):
            return iso
    return None


def _other_label(m: re.Match[str]) -> bool:
    """Whether the date of a ``_POSTED`` match is labelled as something else ("注册时间：2004-3-2")."""
    line_start = m.string.rfind("\n", 0, m.start()) + 1
    return bool(_OTHER_DATE.search(m.string[line_start : m.start(1) if m.group(1) else m.start(2)]))


def _iso_numeric(m: re.Match[str]) -> str | None:
    """A numeric ``a/b/yyyy`` date, only where its order is certain: day first when ``a`` cannot be a month,
    month first when ``b`` cannot be, or with a 12-hour clock ("7/5/2005 9:23:57 PM": the US locale's
    month/day/year). Otherwise ambiguous (a French page's 06/02/2022 is 6 February): ``None``."""
    a, b, y = int(m.group("a")), int(m.group("b")), int(m.group("y"))
    if a > 12:
        mo, d = b, a
    elif b > 12 or m.group("ampm"):
        mo, d = a, b
    else:
        return None
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def _iso_groups(m: re.Match[str]) -> str | None:
    """``_iso`` of the date in a match of ``_POSTED``."""
    s = m.group(1) or m.group(2)
    d = _DATE_RE.search(s)
    if d:
        return _iso(d)
    n = _NUMERIC_RE.search(s)
    return _iso_numeric(n) if n else None
