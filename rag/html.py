"""Web pages to articles: our own decoding, then main-content extraction (trafilatura), the publication
date from the page's structure (htmldate) or its dateline, and a record of how each field was found."""

from __future__ import annotations

import logging
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup
from charset_normalizer import from_bytes

logger = logging.getLogger(__name__)

# A declared charset: <meta charset=...>, http-equiv content, an XML declaration or a record wrapper's attribute.
_DECLARED = re.compile(rb"""(?:charset|encoding)\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)
_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "cp936", "euc-cn", "hz-gb-2312"}
_BIG5 = {"big5", "big5-hkscs", "big5hkscs", "cp950", "x-big5"}
_MAX_BAD = 0.002  # at most this share of undecodable bytes is replaced rather than refusing the page
# A leading corpus-record wrapper ``<text id="URL" ...>`` (no <html>): its id is the page's address.
_WRAPPER_URL = re.compile(r"""^\s*<text\b[^>]*?\bid\s*=\s*["'](https?://[^"']+)["']""", re.IGNORECASE)
_MIN_BODY = 50  # an extraction shorter than this (characters, no whitespace) is taken as a failure
_SITE_SEP = re.compile(r"\s*(?:[-_|–—·»]|::)\s*")


@dataclass(frozen=True)
class Page:
    """The article of one page and how each field was found (``found``: field -> method)."""

    text: str
    title: str | None = None
    date: str | None = None
    url: str | None = None
    encoding: str = "utf-8"
    found: dict[str, str] = field(default_factory=dict)


def declared_charset(data: bytes) -> str | None:
    """The charset the page says it is in (first 4 KB), lower-cased, or ``None``."""
    m = _DECLARED.search(data[:4096])
    return m.group(1).decode("ascii").lower() if m else None


def decode_page(data: bytes) -> tuple[str, str]:
    """``(text, encoding)`` by the bytes, not by the declaration: UTF-8 when the bytes are valid UTF-8
    (pages that declare gb2312 but are UTF-8), GB18030 for the GBK family (a superset: stray GB18030
    bytes in a GBK page decode), Big5 when declared or detected. A few bad bytes are replaced; a page
    mostly undecodable raises ``UnicodeDecodeError``."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    declared = declared_charset(data)
    order = ["big5", "gb18030"] if declared in _BIG5 else ["gb18030", "big5"]
    fits = {}
    for enc in order:
        try:
            fits[enc] = data.decode(enc)
        except UnicodeDecodeError:
            continue
    if fits and (declared in _GB | _BIG5 or len(fits) == 1):
        enc = next(iter(fits))  # the declared family first
        return fits[enc], enc
    if fits:  # undeclared and both fit (double-byte Big5 often decodes as GB18030): ask the detector
        best = from_bytes(data, cp_isolation=list(fits)).best()
        enc = "big5" if best and best.encoding.replace("_", "").startswith(("big5", "cp950")) else "gb18030"
        return fits[enc], enc
    if declared and declared not in _GB | _BIG5 | {"utf-8", "utf8"}:
        try:
            return data.decode(declared), declared
        except (UnicodeDecodeError, LookupError):
            pass
    best = from_bytes(data).best()
    guesses = ([best.encoding] if best else []) + order + ["utf-8"]
    for enc in dict.fromkeys("gb18030" if g in _GB else g for g in guesses):
        text = data.decode(enc, errors="replace")
        if text.count("\ufffd") <= max(2, _MAX_BAD * len(data)):
            logger.info("decoded with %d bad byte(s) replaced as %s", text.count("\ufffd"), enc)
            return text, enc
    raise UnicodeDecodeError("utf-8/gb18030/big5", data, 0, len(data), "not valid in any supported encoding")


def _page_url(html: str, soup: BeautifulSoup) -> tuple[str | None, str | None]:
    links: tuple[tuple[dict[str, Any], str, str], ...] = (
        ({"rel": "canonical"}, "href", "link:canonical"),
        ({"property": "og:url"}, "content", "meta:og:url"),
    )
    for attrs, key, how in links:
        tag = soup.find("link" if key == "href" else "meta", attrs=attrs)
        value = tag.get(key) if tag else None
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            return value.strip(), how
    m = _WRAPPER_URL.match(html)
    return (m.group(1), "record-wrapper") if m else (None, None)


def fallback_text(soup: BeautifulSoup) -> str:
    """Visible text of the page, one block a line (what the loader did before extraction)."""
    for tag in soup(["head", "script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe"]):
        tag.decompose()
    return soup.get_text("\n", strip=True)


def _unwrap_page_forms(soup: BeautifulSoup) -> bool:
    """Unwrap a ``<form>`` that holds most of the page (ASP.NET-style pages wrap everything in one),
    so that neither the extractor nor the fallback drops the article with the form. True if any."""
    body = soup.body or soup
    total = len(body.get_text(strip=True)) or 1
    wrapped = False
    for form in soup.find_all("form"):
        if len(form.get_text(strip=True)) > 0.5 * total:
            form.unwrap()
            wrapped = True
    return wrapped


_ROW = re.compile(r"^\|.*\|$")
_ROW_CELL_MAX = 20  # a table row whose every cell is at most this long (no whitespace) and holds no sentence is layout


def drop_layout_rows(text: str) -> str:
    """Drop table rows (as the extractor writes them, ``| a | b |``) that are navigation or layout:
    every cell short and no sentence in any; rows with real content keep their text, without the bars."""
    out = []
    for line in text.split("\n"):
        if _ROW.match(line.strip()):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip()) if c.strip()]
            items = [c for cell in cells for c in cell.split("\\|")]  # "a \| b \| c" in a cell: a link bar
            if all(len(re.sub(r"\s+", "", c)) <= _ROW_CELL_MAX and not re.search(r"[。！？!?]", c) for c in items):
                continue
            line = " ".join(c.replace("\\|", "|") for c in cells)
        out.append(line)
    return "\n".join(out)


def _html_title(soup: BeautifulSoup) -> str | None:
    return soup.title.get_text(strip=True) or None if soup.title else None


def _strip_site(title: str) -> str:
    """The headline part of a ``<title>`` like "Headline - Section - Site": the first part with
    Chinese words in it (else the first part)."""
    parts = [p.strip() for p in _SITE_SEP.split(title) if p.strip()]
    cjk = [p for p in parts if sum("\u4e00" <= c <= "\u9fff" for c in p) >= 2]
    return (cjk or parts or [title])[0]


def headline_in_title(title: str, headlines: list[str]) -> str | None:
    """The page's <h1> when the title is that headline plus a site or section name ("Headline - Site",
    "Column - Headline", "Headline | Site"): the longest such <h1>, else ``None``."""
    flat = re.sub(r"\s+", " ", title).strip()
    best = None
    for h in headlines:
        h = re.sub(r"\s+", " ", h).strip()
        if len(h) < 2 or h == flat or h not in flat:
            continue
        before, _, after = flat.partition(h)
        cut_before = not before or re.search(r"(?:[-_|–—·»]|::)\s*$", before)
        cut_after = not after or re.match(r"\s*(?:[-_|–—·»]|::)", after)
        if cut_before and cut_after and (best is None or len(h) > len(best)):
            best = h
    return best


def _without_links(soup: BeautifulSoup) -> str:
    """The page with links, list items and navigation removed: dates there belong to other pages."""
    copy = BeautifulSoup(str(soup), "html.parser")
    for tag in copy(["a", "li", "nav", "footer", "aside", "select", "option"]):
        tag.decompose()
    return str(copy)


def _htmldate(html: str, url: str | None, extensive: bool) -> str | None:
    """htmldate's publication date: from the markup and address (meta tags, JSON-LD, <time>, date-classed
    elements, the URL), or with ``extensive`` also from dates in the text."""
    import htmldate

    try:
        return htmldate.find_date(html, url=url, original_date=True, extensive_search=extensive)
    except Exception as e:  # htmldate raises on odd markup; a page without a date is normal
        logger.debug("htmldate failed: %s", e)
        return None


def _written_in(iso: str, text: str) -> bool:
    """Whether the date ``iso`` is written out in full (year, month and day) somewhere in ``text``."""
    from .clean import _DATE_RE

    want = tuple(int(x) for x in iso[:10].split("-"))
    return any((int(m["y"]), int(m["m"]), int(m["d"])) == want for m in _DATE_RE.finditer(text))


# Meta tags (name, property, itemprop or http-equiv, lower-cased) that carry the date a page was first published,
# as the common CMSes, Open Graph, Dublin Core and the Chinese portals write them. Modified/updated dates are
# not among them: a page's date is when it first appeared.
_META_PUBLISHED = (
    "article:published_time", "og:article:published_time", "og:published_time", "published_time",
    "datepublished", "publishdate", "publish_date", "publish-date", "publishtime", "publish_time", "pubdate",
    "pubtime", "pub_date", "firstpublishedtime", "article.published", "article_date_original",
    "original-publish-date", "parsely-pub-date", "sailthru.date", "weibo:article:create_at",
    "weibo:webpage:create_at", "bytedance:published_time", "dc.date.issued", "dcterms.issued", "dc.date.created",
    "dcterms.created", "dc.date", "dcterms.date", "datecreated", "createdate", "date",
)
_META_RANK = {k: i for i, k in enumerate(_META_PUBLISHED)}
_ISO_START = re.compile(r"^\s*((?:19|20)\d{2})[-/.年]?(\d{1,2})[-/.月]?(\d{1,2})(?!\d)")
_MIN_YEAR = 1990
# A full date in a page's address: /2005/09/07/, /2005-08-26/, /2005-09/11/, /2023/0110/, /201905/03/,
# t20220128_, /20220206-... (8 digits standing alone). Months and days are checked.
_URL_DATE = re.compile(
    r"(?<!\d)(?P<y>(?:19|20)\d{2})(?:[/_-](?P<m>\d{1,2})[/_-](?P<d>\d{1,2})|/(?P<m2>\d{2})(?P<d2>\d{2})(?=/)"
    r"|(?P<m3>\d{2})/(?P<d3>\d{2})(?=/)|(?P<m4>\d{2})(?P<d4>\d{2}))(?!\d)"
)


def _valid(y: int, m: int, d: int) -> str | None:
    import datetime as dt

    try:
        day = dt.date(y, m, d)
    except ValueError:
        return None
    if day.year < _MIN_YEAR or day > dt.date.today() + dt.timedelta(days=1):
        return None
    return day.isoformat()


def parse_markup_date(value: str) -> str | None:
    """ISO ``YYYY-MM-DD`` from a machine-written date (ISO 8601 and its variants, 20220128, 2022/01/28,
    2022年01月28日, RFC 2822 "Mon, 07 Feb 2022 12:48:06 GMT", a Unix timestamp), else ``None``."""
    value = (value or "").strip()
    m = _ISO_START.match(value)
    if m:
        return _valid(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    if re.fullmatch(r"\d{10}(?:\d{3})?", value):  # seconds or milliseconds since 1970
        import datetime as dt

        t = dt.datetime.fromtimestamp(int(value[:10]), dt.timezone(dt.timedelta(hours=8)))  # China time
        return _valid(t.year, t.month, t.day)
    from email.utils import parsedate_to_datetime

    try:
        t = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return _valid(t.year, t.month, t.day) if t else None


def _json_ld_dates(soup: BeautifulSoup) -> list[tuple[str, str]]:
    """``(key, value)`` of every datePublished / dateCreated in the page's JSON-LD, in document order."""
    import json

    out: list[tuple[str, str]] = []

    def walk(x: object) -> None:
        if isinstance(x, dict):
            for k in ("datePublished", "dateCreated"):
                if isinstance(x.get(k), str):
                    out.append((k, x[k]))
            for v in x.values():
                if isinstance(v, (dict, list)):
                    walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    for tag in soup.find_all("script", attrs={"type": re.compile(r"ld\+json", re.IGNORECASE)}):
        try:
            walk(json.loads(tag.string or tag.get_text() or ""))
        except ValueError:
            continue
    return out


def markup_date(soup: BeautifulSoup) -> tuple[str | None, str | None]:
    """The publication date the page states for machines, and where: a publication meta tag (the most
    specific of ``_META_PUBLISHED``), JSON-LD ``datePublished`` (else ``dateCreated``), or an element marked
    ``itemprop="datePublished"`` / ``<time pubdate>``. ``(None, None)`` if none parses."""
    metas = []
    for tag in soup.find_all("meta"):
        key = next((str(tag.get(a)).strip().lower() for a in ("property", "name", "itemprop", "http-equiv") if tag.get(a)), "")
        content = tag.get("content")
        if key in _META_RANK and isinstance(content, str):
            metas.append((_META_RANK[key], key, content))
    for _, key, value in sorted(metas, key=lambda x: x[0]):
        iso = parse_markup_date(value)
        if iso:
            return iso, f"meta:{key}"
    for key, value in sorted(_json_ld_dates(soup), key=lambda kv: kv[0] != "datePublished"):
        iso = parse_markup_date(value)
        if iso:
            return iso, f"json-ld:{key}"
    elsewhere = ["li", "nav", "aside", "footer"]  # an element there dates another page (a related-links list)
    for tag in soup.find_all(attrs={"itemprop": re.compile(r"^datePublished$", re.IGNORECASE)}):  # type: ignore[call-overload]
        if tag.name != "meta" and tag.find_parent(elsewhere):
            continue
        iso = parse_markup_date(str(tag.get("datetime") or tag.get("content") or tag.get_text(" ", strip=True)))
        if iso:
            return iso, "itemprop:datePublished"
    for tag in soup.find_all("time"):
        if tag.has_attr("pubdate") and not tag.find_parent(elsewhere):
            iso = parse_markup_date(str(tag.get("datetime") or tag.get_text(" ", strip=True)))
            if iso:
                return iso, "time:pubdate"
    return None, None


def url_date(url: str | None) -> str | None:
    """A full date (year, month, day) in the page's address path, else ``None`` (a weak signal: last but one)."""
    if not url:
        return None
    from urllib.parse import urlsplit

    path = urlsplit(url).path
    for m in _URL_DATE.finditer(path):
        mo = next(m.group(g) for g in ("m", "m2", "m3", "m4") if m.group(g))
        d = next(m.group(g) for g in ("d", "d2", "d3", "d4") if m.group(g))
        iso = _valid(int(m.group("y")), int(mo), int(d))
        if iso:
            return iso
    return None


def _headlines(soup: BeautifulSoup) -> list[str]:
    """The page's <h1> texts (anchors for the byline under the headline besides the title)."""
    return [h.get_text(" ", strip=True) for h in soup.find_all("h1")[:3] if h.get_text(strip=True)]


def extract(data: bytes) -> Page:
    """The article in one page's bytes: text, title, date, url, and how each was found."""
    import trafilatura

    from .clean import clean_text

    html, encoding = decode_page(data)
    soup = BeautifulSoup(html, "html.parser")
    if _unwrap_page_forms(soup):
        html = str(soup)
    page_title = _html_title(soup)
    url, url_how = _page_url(html, soup)
    found: dict[str, str] = {"encoding": encoding}
    if url_how:
        found["url"] = url_how
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)  # it logs ERROR for every page it finds odd
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        doc: Any = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    linkless = _without_links(soup)
    markup, markup_how = markup_date(soup)
    anchors = _headlines(soup)
    full = clean_text(fallback_text(soup))  # all visible text (soup is consumed here)
    text = (doc.text or "") if doc else ""
    if len(re.sub(r"\s+", "", text)) >= _MIN_BODY:
        found["text"] = "trafilatura"
        text = clean_text(drop_layout_rows(text))
    else:
        text, found["text"] = drop_layout_rows(full), "page-text"

    title, how = None, None
    if doc and doc.title:
        title, how = doc.title.strip(), "trafilatura"
    elif page_title:
        title, how = _strip_site(page_title), "html-title"
    h1 = headline_in_title(title, anchors) if title else None
    if h1:  # "Headline - Site": the headline the page itself shows
        title, how = h1, f"{how}+h1"
    if title:
        found["title"] = how or "unknown"

    date, how = find_date(full.split("\n"), [t for t in (title, *anchors) if t], markup, markup_how, url, linkless)
    if date:
        found["date"] = how or "unknown"
    return Page(text=text, title=title, date=date, url=url, encoding=encoding, found=found)


def find_date(lines: list[str], titles: list[str], markup: str | None, markup_how: str | None, url: str | None,
              linkless: str) -> tuple[str | None, str | None]:
    """The page's publication date and how it was found, strongest evidence first:

    1. an official document's own date (``成文日期``);
    2. the date the markup states (publication meta tags, JSON-LD, ``itemprop``/``<time pubdate>``);
    3. the byline just under the headline;
    4. a full date in the address;
    5. htmldate's other markup heuristics on the page without links and lists;
    6. a dateline near the top or a "posted on" line anywhere;
    7. htmldate's text search, only when that date is written out in full on the page.
    """
    from . import clean as c

    steps = (
        ("document-date", lambda: c.document_date(lines)),
        (markup_how, lambda: markup),
        ("dateline:title", lambda: c.title_dateline(lines, titles)),
        ("url", lambda: url_date(url)),
        ("htmldate", lambda: _htmldate(linkless, url, extensive=False)),
        ("dateline", lambda: c.find_dateline(lines, titles[0] if titles else None)),
    )
    for how, get in steps:
        date = get()
        if date:
            return date, how
    date = _htmldate(linkless, url, extensive=True)
    if date and _written_in(date, "\n".join(lines)):  # not a year-only guess ("© 2023" -> 2023-01-01)
        return date, "htmldate:text"
    return None, None
