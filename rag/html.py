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


def extract(data: bytes) -> Page:
    """The article in one page's bytes: text, title, date, url, and how each was found."""
    import trafilatura

    from .clean import clean_text, find_dateline

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
    date = _htmldate(linkless, url, extensive=False)
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
    if title:
        found["title"] = how or "unknown"

    if date:
        found["date"] = "htmldate"
    else:
        date = find_dateline(full.split("\n"), title)
        if date:
            found["date"] = "dateline"
        else:
            date = _htmldate(linkless, url, extensive=True)
            if date and _written_in(date, full):  # not a year-only guess ("© 2023" -> 2023-01-01)
                found["date"] = "htmldate:text"
            else:
                date = None
    return Page(text=text, title=title, date=date, url=url, encoding=encoding, found=found)
