"""Read articles from files and folders: txt, md, html and jsonl, in any common Chinese encoding."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from charset_normalizer import from_bytes

logger = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md", ".html", ".htm", ".jsonl")
_CJK_ENCODINGS = ("gb18030", "big5")


@dataclass(frozen=True)
class RawArticle:
    """One article as read from disk, before cleaning."""

    doc_id: str
    text: str
    meta: dict[str, str] = field(default_factory=dict)
    is_html: bool = False


@dataclass(frozen=True)
class Skipped:
    """A file (or jsonl line) that could not be read, and why."""

    path: str
    reason: str


def decode(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), GB18030/GBK or Big5; raise ``UnicodeDecodeError`` otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    candidates = {}
    for enc in _CJK_ENCODINGS:
        try:
            candidates[enc] = data.decode(enc)
        except UnicodeDecodeError:
            continue
    if len(candidates) == 1:
        return next(iter(candidates.values()))
    if candidates:
        best = from_bytes(data, cp_isolation=list(candidates)).best()
        return candidates.get(_normalize(best.encoding), candidates["gb18030"]) if best else candidates["gb18030"]
    raise UnicodeDecodeError("utf-8/gb18030/big5", data, 0, len(data), "not valid in any supported encoding")


def _normalize(encoding: str) -> str:
    return {"gb2312": "gb18030", "gbk": "gb18030", "big5hkscs": "big5", "cp950": "big5"}.get(encoding, encoding)


def iter_files(paths: list[Path]) -> Iterator[tuple[Path, str]]:
    """Each supported file under ``paths`` with its document id (path relative to the ingested folder)."""
    for root in paths:
        if root.is_file():
            yield root, root.name
        elif root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file() and path.suffix.lower() in SUFFIXES and not path.name.startswith("."):
                    yield path, path.relative_to(root).as_posix()
        else:
            raise FileNotFoundError(f"no such file or folder: {root}")


# File signatures of formats that are not text, whatever the file is named.
_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive (or docx/xlsx/epub)"), (b"PK\x05\x06", "an empty zip archive"),
    (b"%PDF-", "a PDF"), (b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"), (b"GIF89a", "a GIF image"), (b"\x1f\x8b", "a gzip file"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"), (b"Rar!\x1a\x07", "a RAR archive"), (b"\x7fELF", "an executable"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an MS Office (OLE) document"), (b"SQLite format 3\x00", "an SQLite database"),
    (b"BZh", "a bzip2 file"), (b"\xfd7zXZ\x00", "an xz file"), (b"ID3", "an MP3 file"), (b"OggS", "an Ogg file"),
)
_SNIFF = 8192
_CONTROL = set(range(32)) - {9, 10, 12, 13, 27}  # tab, newline, form feed, carriage return, escape occur in text
_MAX_CONTROL = 0.01


def not_text(data: bytes) -> str | None:
    """Why ``data`` is not a text file (a known binary signature, NUL or control bytes), or ``None``."""
    for sig, what in _SIGNATURES:
        if data.startswith(sig):
            return f"not text: the bytes are {what}"
    if data[:12].startswith(b"RIFF") and data[8:12] in (b"WEBP", b"WAVE", b"AVI "):
        return "not text: the bytes are a RIFF media file"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "not text here: UTF-16 (save it as UTF-8)"
    head = data[:_SNIFF]
    if b"\x00" in head:
        return f"not text: NUL byte at offset {head.index(0)}"
    control = sum(b in _CONTROL for b in head)
    if head and control > _MAX_CONTROL * len(head):
        return f"not text: {control} control bytes in the first {len(head)}"
    return None


def read_file(path: Path, doc_id: str) -> Iterator[RawArticle | Skipped]:
    """The articles in one file; problems come back as ``Skipped`` items, never as exceptions."""
    try:
        data = path.read_bytes()
    except OSError as e:
        yield Skipped(str(path), f"unreadable: {e.strerror or e}")
        return
    reason = not_text(data)
    if reason:
        yield Skipped(str(path), reason)
        return
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        yield from _read_html(data, str(path), doc_id)
        return
    try:
        text = decode(data)
    except UnicodeDecodeError:
        yield Skipped(str(path), "undecodable bytes (not UTF-8, GB18030/GBK or Big5)")
        return
    if suffix == ".jsonl":
        yield from _read_jsonl(text, str(path))
    else:
        yield RawArticle(doc_id, text)


def _read_html(data: bytes, path: str, doc_id: str) -> Iterator[RawArticle | Skipped]:
    """One page: main content, title, date and url, and how each was found (``found.*`` keys in meta)."""
    from .html import extract

    try:
        page = extract(data)
    except UnicodeDecodeError:
        yield Skipped(path, "undecodable bytes (not UTF-8, GB18030/GBK or Big5)")
        return
    meta = {k: v for k, v in (("title", page.title), ("date", page.date), ("url", page.url)) if v}
    meta.update({f"found.{k}": v for k, v in page.found.items()})
    yield RawArticle(doc_id, page.text, meta, is_html=True)


def _read_jsonl(text: str, path: str) -> Iterator[RawArticle | Skipped]:
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            body = row["text"]
            if not isinstance(body, str):
                raise TypeError("text is not a string")
        except (json.JSONDecodeError, KeyError, TypeError) as e:
            yield Skipped(f"{path}:{lineno}", f"bad jsonl line ({type(e).__name__}: {e})")
            continue
        doc_id = str(row.get("id") or f"{Path(path).name}:{lineno}")
        meta = {k: str(row[k]) for k in ("title", "date", "source", "url") if row.get(k)}
        yield RawArticle(doc_id, body, meta)


def load(paths: list[Path]) -> Iterator[RawArticle | Skipped]:
    """Every article under ``paths``, in a stable order."""
    for path, doc_id in iter_files(paths):
        logger.debug("reading %s", path)
        yield from read_file(path, doc_id)
