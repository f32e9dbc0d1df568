"""A Milvus store (pymilvus ``MilvusClient``): a Milvus Lite file (``*.db``) or a server/cluster URI.

Three collections, named ``rag_chunks``, ``rag_docs`` and ``rag_terms`` (``NAME_*`` for ``http://host:port/NAME``):

* chunks: primary key the chunk id (``doc_id#n``), the e5 vector (HNSW, inner product), Milvus's own
  BM25 over our own keyword tokens (``rag.keyword.chunk_tokens``: jieba search-mode words, English
  stems, CJK bigrams; see ``encode_tokens``), so both stores rank keyword hits alike, date and source
  as scalar fields with an inverted index (date filters are pushed down), and the tokens as text;
* docs: one row per document part (Milvus strings stop at 65,535 characters), with its hash;
* terms: document frequencies of our own tokenizer's tokens, which evidence scoring and query
  expansion need (``store.keyword``); kept up to date on every write, loaded once on open.

The manifest (embedder, dimension, chunking, counts) is a property of the chunks collection, so the
index describes itself wherever it lives. Writes go chunks -> documents -> terms -> manifest: a
document's hash is written after its chunks, so an interrupted write is redone by the next ingest.
Milvus has no multi-row transactions: readers may see a document half-replaced during a write.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import RagError
from ..keyword import TOKENIZER_ID, tokenize
from ..types import Chunk, Document
from .base import FORMAT_VERSION, DateRange, IndexParams, Manifest, NewDocument, Ranked, check_embedder, no_index, summary_row

logger = logging.getLogger(__name__)

PREFIX = "rag"
ANALYZER = {"tokenizer": "standard"}  # splits ``encode_tokens`` output back into our tokens (no filters)
KEYWORD = "milvus-bm25-our-tokens/1"  # manifest "keyword": BM25 over rag.keyword tokens, hex-encoded
BM25 = {"bm25_k1": 1.5, "bm25_b": 0.75}  # bm25s's (Lucene) parameters; Milvus's default k1 is 1.2
KTEXT_BYTES = 65535
HNSW = {"M": 32, "efConstruction": 128}
EF_SEARCH = 256
BATCH = 1000
PART = 16_000  # characters of document text per docs row: at most 64,000 UTF-8 bytes (max_length counts bytes)
MANIFEST_KEY = "rag.manifest"
_CHUNK_FIELDS = ["id", "doc_id", "text", "start", "end", "title", "date", "source"]


_LITE_OPEN: Counter[str] = Counter()  # open stores per Milvus Lite file in this process
_LITE_GUARD = threading.Lock()


class StoreUnavailableError(RagError):
    """The index engine cannot be reached or refused the request."""


def _s(value: str | None, limit: int) -> str:
    """``value`` cut to ``limit`` UTF-8 bytes: a Milvus server's VARCHAR ``max_length`` counts bytes, not
    characters (a Chinese character is 3), though Milvus Lite does not check it."""
    raw = (value or "").encode("utf-8")
    return raw[:limit].decode("utf-8", "ignore") if len(raw) > limit else value or ""


def _join(words: Iterable[str], limit: int) -> str:
    """``words`` joined by spaces, cut at a word boundary to at most ``limit`` UTF-8 bytes."""
    out, size = [], -1
    for w in words:
        size += len(w.encode("utf-8")) + 1
        if size > limit:
            break
        out.append(w)
    return " ".join(out)


def _none(value: str) -> str | None:
    return value or None


def encode_tokens(tokens: list[str], limit: int = KTEXT_BYTES) -> str:
    """Our keyword tokens as one text that Milvus's ``standard`` tokenizer splits back into exactly these tokens.

    Each token becomes the hex of its UTF-8 bytes (``城市`` -> ``e59f8ee5b882``), separated by spaces: one
    alphanumeric word per token, which a word-boundary tokenizer neither splits (as it would split CJK
    into characters) nor joins, and never lower-cases into another token. Milvus Lite knows only the
    ``standard`` and ``jieba`` tokenizers (no ``whitespace``), so this works on the Lite file and on a
    server alike. Cut at a token boundary to ``limit`` bytes (a chunk's tokens are far below it).
    """
    return _join((h for t in tokens if (h := t.encode("utf-8").hex())), limit)


def date_filter(where: DateRange | None) -> str:
    """A Milvus boolean expression for ``where`` (undated documents pass; the retriever checks their years)."""
    if not where:
        return ""
    for v in (where.date_from, where.date_to):
        if v and not re.fullmatch(r"[0-9-]+", v):
            raise ValueError(f"date must be YYYY[-MM[-DD]], got {v!r}")
    parts = []
    if where.date_from:
        parts.append(f'date >= "{where.date_from}"')
    if where.date_to:  # date[:len(to)] <= to  <=>  date < to with its last character incremented
        upper = where.date_to[:-1] + chr(ord(where.date_to[-1]) + 1)
        parts.append(f'date < "{upper}"')
    return f'(date == "") or ({" and ".join(parts)})'


class _Connection:
    """The client of one open store; ``close`` may run twice (``MilvusStore.close`` and a finalizer)."""

    def __init__(self, uri: str, client: Any) -> None:
        self.uri, self.client, self.closed = uri, client, False
        self.lite = not uri.startswith("http")
        if self.lite:
            with _LITE_GUARD:
                _LITE_OPEN[uri] += 1

    def close(self) -> None:
        with _LITE_GUARD:
            if self.closed:
                return
            self.closed = True
            last = False
            if self.lite:
                _LITE_OPEN[self.uri] -= 1
                last = _LITE_OPEN[self.uri] <= 0
        self.client.close()
        if last:
            from milvus_lite.server_manager import server_manager_instance

            server_manager_instance.release_server(self.uri)


class _Terms:
    """``KeywordStats`` from the terms collection: document frequency per token of our tokenizer."""

    def __init__(self, df: dict[str, int], size: int) -> None:
        self._df = df
        self.size = size

    @property
    def vocab(self) -> dict[str, int]:
        return self._df

    def df(self, token: str) -> int:
        return self._df.get(token, 0)


class MilvusStore:
    """The ``Store`` seam over one Milvus database (file or server)."""

    def __init__(self, uri: str, client: Any, manifest: Manifest | None, prefix: str = PREFIX) -> None:
        self.uri = uri
        self.client = client
        self._manifest = manifest
        self.chunks_c, self.docs_c, self.terms_c = f"{prefix}_chunks", f"{prefix}_docs", f"{prefix}_terms"
        self._connection = _Connection(uri, client)

    @classmethod
    def open(cls, uri: str, embedder_id: str | None = None, create: bool = False, token: str | None = None) -> MilvusStore:
        """Connect; refuse a missing index (unless ``create``), a foreign format or another embedder.

        ``token`` (a server's credentials) defaults to ``RAG_MILVUS_TOKEN``."""
        if not uri.startswith("http"):
            if not Path(uri).exists() and not create:
                raise no_index(uri)
            Path(uri).parent.mkdir(parents=True, exist_ok=True)
        server, _, name = uri.partition("://")[2].partition("/") if uri.startswith("http") else (uri, "", "")
        token = token or os.environ.get("RAG_MILVUS_TOKEN") or None
        client = _connect(uri.split("://")[0] + "://" + server if name else uri, token)
        store = cls(uri, client, None, name or PREFIX)
        raw: dict[str, Any] = {}
        try:
            if store._call(client.has_collection, store.chunks_c):
                props = store._call(client.describe_collection, store.chunks_c).get("properties", {})
                raw = json.loads(props.get(MANIFEST_KEY, "{}"))
                for name in (store.chunks_c, store.docs_c, store.terms_c):  # a restarted server starts them released
                    if "Loaded" not in str(store._call(client.get_load_state, name).get("state")):
                        store._call(client.load_collection, name)
        except BaseException:
            store.close()
            raise
        if not raw and not create:
            store.close()
            raise no_index(uri)
        if raw:
            if raw.get("format") != FORMAT_VERSION:
                store.close()
                raise RagError(f"index at {uri} has format {raw.get('format')}, this version reads {FORMAT_VERSION}: rebuild it")
            store._manifest = Manifest.from_dict(raw)
            try:
                check_embedder(uri, store._manifest, embedder_id)
            except BaseException:
                store.close()
                raise
            if not store.our_tokens:
                logger.warning("index at %s ranks keywords with Milvus's jieba analyzer (an older layout: no English stems, "
                               "no CJK bigrams): rebuild it with `rag ingest --rebuild` to rank like the folder store", uri)
            if store._manifest.tokenizer != TOKENIZER_ID:
                logger.warning("index at %s has term statistics of %s, this version makes %s: rebuild for exact evidence weights",
                               uri, store._manifest.tokenizer, TOKENIZER_ID)
        return store

    def _call(self, fn: Any, *args: Any, **kw: Any) -> Any:
        """Call the client, turning engine errors into a ``StoreUnavailableError`` that names the index."""
        from pymilvus.exceptions import MilvusException

        try:
            return fn(*args, **kw)
        except MilvusException as e:
            msg = str(getattr(e, "message", e))
            hint = "; is the server running?" if getattr(e, "code", None) == 2 or "connect" in msg.lower() else ""
            raise StoreUnavailableError(f"Milvus at {self.uri}: {msg}{hint}") from e
        except Exception as e:
            if type(e).__module__.startswith("grpc"):
                raise StoreUnavailableError(f"Milvus at {self.uri} is not reachable ({type(e).__name__})") from e
            raise

    @property
    def manifest(self) -> Manifest:
        if self._manifest is None:
            raise no_index(self.uri)
        return self._manifest

    @property
    def exists(self) -> bool:
        return self._manifest is not None

    @property
    def stale_tokens(self) -> bool:
        return False  # the terms table is rebuilt with --rebuild; see the warning in ``open``

    def __len__(self) -> int:
        return self._manifest.chunks if self._manifest else 0

    @cached_property
    def keyword(self) -> _Terms:
        df = {r["token"]: int(r["df"]) for r in self._scan(self.terms_c, ["token", "df"])} if self.exists else {}
        return _Terms(df, len(self))

    # --- search
    def dense_search(self, vectors: np.ndarray, k: int, where: DateRange | None = None) -> list[Ranked]:
        if not self.exists or not len(self):
            return [[] for _ in vectors]
        got = self._call(
            self.client.search, self.chunks_c, data=[v.astype(np.float32).tolist() for v in np.atleast_2d(vectors)],
            anns_field="dense", limit=k, filter=date_filter(where), output_fields=["id"],
            search_params={"metric_type": "IP", "params": {"ef": max(EF_SEARCH, k)}},
        )
        return [[(h["id"], float(h["distance"])) for h in hits] for hits in got]

    @property
    def our_tokens(self) -> bool:
        """Whether Milvus's BM25 runs over our tokens (else: an older index, Milvus's jieba over title + text)."""
        return self._manifest is not None and self._manifest.keyword == KEYWORD

    def _keyword_query(self, text: str) -> str:
        if not self.our_tokens:
            return text
        vocab = self.keyword.vocab  # like the folder store: only indexed tokens count (duplicates do, in both)
        return encode_tokens([t for t in tokenize(text) if t in vocab])

    def keyword_search(self, text: str, k: int, where: DateRange | None = None) -> Ranked:
        """Milvus's BM25 over our own tokens: the folder store's ranking (scores on its scale, see ``BM25``)."""
        if not self.exists or not text.strip() or not len(self):
            return []
        query = self._keyword_query(text)
        if not query.strip():
            return []
        got = self._call(
            self.client.search, self.chunks_c, data=[query], anns_field="sparse", limit=k, filter=date_filter(where),
            output_fields=["id"], search_params={"metric_type": "BM25"},
        )
        # Milvus Lite reports BM25 negated, best first; Milvus's BM25 is (k1 + 1) times Lucene's (bm25s) score
        scale = 1 + BM25["bm25_k1"] if self.our_tokens else 1.0
        return [(h["id"], abs(float(h["distance"])) / scale) for h in got[0]]

    def hybrid_search(self, vector: np.ndarray, text: str, k: int, where: DateRange | None = None, rrf_k: int = 60) -> Ranked:
        """Milvus's own dense + BM25 fusion (``hybrid_search`` with RRF), for comparison with ours."""
        from pymilvus import AnnSearchRequest, RRFRanker

        flt = date_filter(where)
        reqs = [
            AnnSearchRequest(data=[vector.astype(np.float32).tolist()], anns_field="dense", limit=k, expr=flt or None,
                             param={"metric_type": "IP", "params": {"ef": max(EF_SEARCH, k)}}),
        ]
        if (query := self._keyword_query(text)).strip():  # no indexed token: dense alone
            reqs.append(AnnSearchRequest(data=[query], anns_field="sparse", limit=k, expr=flt or None, param={"metric_type": "BM25"}))
        got = self._call(self.client.hybrid_search, self.chunks_c, reqs, RRFRanker(rrf_k), limit=k, output_fields=["id"])
        return [(h["id"], float(h["distance"])) for h in got[0]]

    # --- fetch
    def chunks(self, ids: list[str]) -> list[Chunk]:
        if not ids or not self.exists:
            return []
        got: dict[str, Chunk] = {}
        for i in range(0, len(ids), BATCH):
            for r in self._call(self.client.query, self.chunks_c, ids=ids[i : i + BATCH], output_fields=_CHUNK_FIELDS):
                got[r["id"]] = Chunk(r["id"], r["doc_id"], r["text"], int(r["start"]), int(r["end"]),
                                     _none(r["title"]), _none(r["date"]), _none(r["source"]))
        return [got[c] for c in ids if c in got]

    def document(self, doc_id: str) -> Document | None:
        if not self.exists:
            return None
        # by primary key (doc_id|part): a filter on doc_id is a scan in Milvus Lite (16 ms a document at 5k
        # documents, growing with the collection; 2.7 ms by key), and rag.clusters reads every new document
        rows = list(self._call(self.client.query, self.docs_c, ids=[f"{doc_id}|0"],
                               output_fields=["part", "text", "title", "date", "source", "url", "years", "chars"]))
        if not rows:
            return None
        if (parts := max(1, -(-int(rows[0]["chars"]) // PART))) > 1:  # _doc_rows writes parts 0..parts-1
            rows += self._call(self.client.query, self.docs_c, ids=[f"{doc_id}|{i}" for i in range(1, parts)],
                               output_fields=["part", "text"])
        rows.sort(key=lambda r: r["part"])
        r = rows[0]
        text = "".join(x["text"] for x in rows)
        return Document(doc_id, text, _none(r["title"]), _none(r["date"]), _none(r["source"]), _none(r["url"]),
                        tuple(json.loads(r["years"])))

    def _heads(self, fields: list[str]) -> Iterator[dict[str, Any]]:
        return self._scan(self.docs_c, ["doc_id", *fields], "part == 0") if self.exists else iter(())

    def documents(self) -> list[dict[str, Any]]:
        rows = [summary_row(r["doc_id"], _none(r["title"]), _none(r["date"]), _none(r["source"]), int(r["n_chunks"]), int(r["chars"]))
                for r in self._heads(["title", "date", "source", "n_chunks", "chars"])]
        rows.sort(key=lambda d: d["doc_id"])
        rows.sort(key=lambda d: d["date"] or "", reverse=True)
        return rows

    def doc_hashes(self) -> dict[str, str]:
        return {r["doc_id"]: r["hash"] for r in self._heads(["hash"])}

    def doc_years(self) -> dict[str, tuple[str | None, list[int]]]:
        return {r["doc_id"]: (_none(r["date"]), json.loads(r["years"])) for r in self._heads(["date", "years"])}

    def _scan(self, collection: str, fields: list[str], flt: str = "") -> Iterator[dict[str, Any]]:
        it = self._call(self.client.query_iterator, collection, batch_size=5000, filter=flt, output_fields=fields)
        try:
            while batch := self._call(it.next):
                yield from batch
        finally:
            it.close()

    def close(self) -> None:
        """Disconnect (idempotent); the last store of a Milvus Lite file in this process also stops its
        in-process server, so that another process (``rag remove`` next to a script) can open the file."""
        self._connection.close()

    def closer(self) -> Callable[[], None]:
        return self._connection.close

    # --- write
    def write(self, remove: set[str], added: list[NewDocument], params: IndexParams, rebuild: bool = False) -> Manifest:
        """Upsert ``added``, delete ``remove``; update term statistics and the manifest last."""
        n_docs, n_chunks = (self._manifest.documents, self._manifest.chunks) if self._manifest and not rebuild else (0, 0)
        if rebuild or not self.exists:
            self._create(params.dim, drop=True)
        # a new or rebuilt index ranks over our tokens; an older one keeps Milvus's jieba over title + text until --rebuild
        ours = rebuild or not self._manifest or self.our_tokens
        new_ids = {c.chunk_id for a in added for c in a.chunks}
        drop = sorted(remove | {a.doc.doc_id for a in added})
        old = self._old_chunks(drop)  # (chunk id, doc id, tokens) of what is being replaced or removed
        df: Counter[str] = Counter()
        for _, _, tokens in old:
            df.subtract(set(tokens.split(" ")) if tokens else ())
        rows = []
        for a in added:
            for c, v, t in zip(a.chunks, a.vectors, a.tokens):
                df.update(set(t))
                rows.append({
                    "id": c.chunk_id, "doc_id": c.doc_id, "text": c.text,
                    "ktext": encode_tokens(t) if ours else f"{_s(c.title, 2000)} {c.text}",
                    "title": _s(c.title, 2000), "date": _s(c.date, 32), "source": _s(c.source, 256),
                    "start": c.start, "end": c.end, "tokens": _join(t, 65535), "dense": v.astype(np.float32).tolist(),
                })
        for i in range(0, len(rows), BATCH):
            self._call(self.client.upsert, self.chunks_c, rows[i : i + BATCH])
        stale = [cid for cid, _, _ in old if cid not in new_ids]
        for i in range(0, len(stale), BATCH):
            self._call(self.client.delete, self.chunks_c, ids=stale[i : i + BATCH])
        known = self._present(drop)  # only these documents: a scan of every document made each write O(index)
        gone = [d for d in drop if d in known]
        for i in range(0, len(gone), BATCH):
            self._call(self.client.delete, self.docs_c, filter=f"doc_id in {json.dumps(gone[i : i + BATCH], ensure_ascii=False)}")
        docs = [row for a in added for row in _doc_rows(a)]
        for i in range(0, len(docs), BATCH):
            self._call(self.client.upsert, self.docs_c, docs[i : i + BATCH])
        self._update_terms({t: n for t, n in df.items() if n})
        manifest = Manifest(
            params, n_docs - len(gone) + len(added), n_chunks - len(old) + len(rows), tokenizer=TOKENIZER_ID,
            dense_index_type="milvus-hnsw", backend="milvus",
            keyword=KEYWORD if ours else (self._manifest.keyword if self._manifest else None) or "milvus-bm25-jieba-search",
        )
        self._call(self.client.alter_collection_properties, self.chunks_c,
                   properties={MANIFEST_KEY: json.dumps(manifest.to_dict(), ensure_ascii=False)})
        self._manifest = manifest
        self.__dict__.pop("keyword", None)
        logger.info("Milvus index %s: %d documents, %d chunks", self.uri, manifest.documents, manifest.chunks)
        return manifest

    def _present(self, doc_ids: list[str]) -> set[str]:
        """Which of ``doc_ids`` are stored (their first part, by primary key)."""
        out: set[str] = set()
        for i in range(0, len(doc_ids), BATCH):
            keys = [f"{d}|0" for d in doc_ids[i : i + BATCH]]
            out.update(r["doc_id"] for r in self._call(self.client.query, self.docs_c, ids=keys, output_fields=["doc_id"]))
        return out

    def _old_chunks(self, doc_ids: list[str]) -> list[tuple[str, str, str]]:
        out = []
        for i in range(0, len(doc_ids), 200):
            flt = f"doc_id in {json.dumps(doc_ids[i : i + 200], ensure_ascii=False)}"
            out += [(r["id"], r["doc_id"], r["tokens"]) for r in self._scan(self.chunks_c, ["id", "doc_id", "tokens"], flt)]
        return out

    def _update_terms(self, delta: dict[str, int]) -> None:
        tokens = sorted(delta)
        for i in range(0, len(tokens), BATCH):
            part = tokens[i : i + BATCH]
            have = {r["token"]: int(r["df"]) for r in self._call(self.client.query, self.terms_c, ids=part, output_fields=["token", "df"])}
            new = {t: have.get(t, 0) + delta[t] for t in part}
            keep = [{"token": t, "df": n, "v": [0.0, 0.0]} for t, n in new.items() if n > 0]
            zero = [t for t, n in new.items() if n <= 0 and t in have]
            if keep:
                self._call(self.client.upsert, self.terms_c, keep)
            if zero:
                self._call(self.client.delete, self.terms_c, ids=zero)

    def _create(self, dim: int, drop: bool) -> None:
        from pymilvus import DataType, Function, FunctionType

        c = self.client
        for name in (self.chunks_c, self.docs_c, self.terms_c):
            if drop and self._call(c.has_collection, name):
                self._call(c.drop_collection, name)
        s = c.create_schema(auto_id=False, enable_dynamic_field=False)
        s.add_field("id", DataType.VARCHAR, is_primary=True, max_length=1024)
        s.add_field("doc_id", DataType.VARCHAR, max_length=1024)
        s.add_field("text", DataType.VARCHAR, max_length=16384)
        s.add_field("ktext", DataType.VARCHAR, max_length=KTEXT_BYTES, enable_analyzer=True, analyzer_params=ANALYZER)
        s.add_field("title", DataType.VARCHAR, max_length=2048)
        s.add_field("date", DataType.VARCHAR, max_length=32)
        s.add_field("source", DataType.VARCHAR, max_length=256)
        s.add_field("start", DataType.INT64)
        s.add_field("end", DataType.INT64)
        s.add_field("tokens", DataType.VARCHAR, max_length=65535)
        s.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        s.add_field("dense", DataType.FLOAT_VECTOR, dim=dim)
        s.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["ktext"], output_field_names=["sparse"]))
        ip = c.prepare_index_params()
        ip.add_index(field_name="dense", index_type="HNSW", metric_type="IP", params=HNSW)
        ip.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25", params=BM25)
        for f in ("doc_id", "date", "source"):
            ip.add_index(field_name=f, index_type="INVERTED")
        self._call(c.create_collection, self.chunks_c, schema=s, index_params=ip)

        d = c.create_schema(auto_id=False, enable_dynamic_field=False)
        d.add_field("key", DataType.VARCHAR, is_primary=True, max_length=1100)
        d.add_field("doc_id", DataType.VARCHAR, max_length=1024)
        d.add_field("part", DataType.INT64)
        for f, n in (("title", 2048), ("date", 32), ("source", 256), ("url", 4096), ("years", 4096), ("hash", 64)):
            d.add_field(f, DataType.VARCHAR, max_length=n)
        d.add_field("n_chunks", DataType.INT64)
        d.add_field("chars", DataType.INT64)
        d.add_field("text", DataType.VARCHAR, max_length=65535)
        d.add_field("v", DataType.FLOAT_VECTOR, dim=2)  # Milvus wants a vector field in every collection
        ip = c.prepare_index_params()
        ip.add_index(field_name="v", index_type="FLAT", metric_type="IP")
        ip.add_index(field_name="doc_id", index_type="INVERTED")
        self._call(c.create_collection, self.docs_c, schema=d, index_params=ip)

        t = c.create_schema(auto_id=False, enable_dynamic_field=False)
        t.add_field("token", DataType.VARCHAR, is_primary=True, max_length=1024)
        t.add_field("df", DataType.INT64)
        t.add_field("v", DataType.FLOAT_VECTOR, dim=2)
        ip = c.prepare_index_params()
        ip.add_index(field_name="v", index_type="FLAT", metric_type="IP")
        self._call(c.create_collection, self.terms_c, schema=t, index_params=ip)


def _doc_rows(a: NewDocument) -> list[dict[str, Any]]:
    d = a.doc
    parts = [d.text[i : i + PART] for i in range(0, len(d.text), PART)] or [""]
    head = {
        "doc_id": d.doc_id, "title": _s(d.title, 2048), "date": _s(d.date, 32), "source": _s(d.source, 256),
        "url": _s(d.url, 4096), "years": json.dumps(list(d.years)), "hash": a.hash, "n_chunks": len(a.chunks),
        "chars": len(d.text), "v": [0.0, 0.0],
    }
    return [{**head, "key": f"{d.doc_id}|{i}", "part": i, "text": p} for i, p in enumerate(parts)]


def _connect(uri: str, token: str | None) -> Any:
    """A ``MilvusClient`` for ``uri``, or a ``StoreUnavailableError`` that says what to check."""
    try:
        from pymilvus import MilvusClient
    except ImportError as e:
        raise StoreUnavailableError(f"index {uri} needs Milvus support: pip install 'rag-news[milvus]' ({e})") from e
    # pymilvus logs every failed call with a traceback (we raise one clear error instead) and warns on
    # every query_iterator that Milvus Lite gives no MVCC timestamp (harmless there)
    logging.getLogger("pymilvus").setLevel(max(logging.getLogger("pymilvus").level, logging.CRITICAL))
    if not uri.startswith("http"):  # Milvus Lite serves a .db in this process and logs a traceback for that probe
        logging.getLogger("grpc._server").setLevel(max(logging.getLogger("grpc._server").level, logging.CRITICAL))
    error: Exception | None = None
    for _ in range(2):
        try:  # dedicated: pymilvus's shared channel to an address that was down keeps failing after it is back
            return MilvusClient(uri=uri, token=token or "", timeout=5, dedicated=True)
        except Exception as e:  # pymilvus raises MilvusException, grpc or OS errors here
            error = e
            time.sleep(0.5)
    if not uri.startswith("http"):
        _check_unlocked(Path(uri))  # only now: this process failed to open it, so it holds no lock on it
    hint = "is the server running?" if uri.startswith("http") else "is milvus-lite installed and the file readable?"
    raise StoreUnavailableError(f"cannot open Milvus at {uri}: {hint} ({str(error).splitlines()[0][:200]})") from error


def _check_unlocked(path: Path) -> None:
    """A Milvus Lite file is served by one process at a time: say so instead of a connection error."""
    import fcntl

    lock = path / "LOCK"
    if not lock.is_file():
        return
    with open(lock, "a") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise StoreUnavailableError(
                f"the Milvus Lite file {path} is open in another process (one process at a time): stop it, "
                f"or serve the file with `milvus-lite server --data-dir {path}` and use --index http://127.0.0.1:19530"
            ) from None
        fcntl.flock(f, fcntl.LOCK_UN)
