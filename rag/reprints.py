"""Reprint clusters: the same story republished by other outlets (other chrome, another headline,
re-broken paragraphs, a sentence dropped, the tail cut) found by MinHash LSH over character shingles.

``ReprintIndex`` is incremental: ``add`` and ``remove`` documents one at a time; a cluster is a
connected component of confirmed reprint pairs, recomputed from the pairs, so removing any member
(even one that linked two others) leaves the right clusters. ``collapse`` is the retrieval side: one
hit per cluster, with the ids of the other copies ("also reported by N outlets").

A pair is confirmed when the estimated *containment* of the shorter text's shingles in the longer's
is at least ``min_containment`` (a cut tail or a dropped sentence keeps containment high while the
Jaccard index falls); LSH only proposes candidates, at a lower Jaccard threshold.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from datasketch import MinHash, MinHashLSH

from .types import Hit

logger = logging.getLogger(__name__)

SHINGLE = 5  # characters per shingle (Chinese: about two words)
NUM_PERM = 128
LSH_THRESHOLD = 0.3  # Jaccard at which LSH proposes a candidate pair
MIN_CONTAINMENT = 0.7  # estimated share of the shorter text's shingles found in the longer text
MIN_SHINGLES = 40  # shorter texts (a caption, a headline) never join a cluster
MIN_SHARED = 100  # estimated shingles two texts must share (a common footer or disclaimer shares fewer)
LEAD = 1 / 3  # the lead: this share of the text, from the start
MIN_LEAD = 0.5  # estimated share of the shorter text's lead found in the longer text
FORMAT = 2  # 2: the confirmed pairs are saved (1 re-derived them on every load)
_DROP = re.compile(r"[\W_]+", re.UNICODE)  # whitespace and punctuation: re-broken paragraphs change nothing


def normalize(text: str) -> str:
    """The text as compared: NFKC, lower case, without whitespace or punctuation."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text).lower())


def shingles(text: str, k: int = SHINGLE) -> set[bytes]:
    """The set of ``k``-character shingles of the normalized text."""
    t = normalize(text)
    return {t[i : i + k].encode("utf-8") for i in range(max(len(t) - k + 1, 0))}


def _minhash(sh: set[bytes], num_perm: int) -> np.ndarray:
    m = MinHash(num_perm=num_perm)
    if sh:
        m.update_batch(list(sh))
    return m.hashvalues


@dataclass(frozen=True)
class Signature:
    """MinHash values of a text's shingles and of its lead's, with their set sizes."""

    whole: np.ndarray
    size: int
    lead: np.ndarray
    lead_size: int


def signature(text: str, num_perm: int = NUM_PERM) -> Signature:
    """The text's ``Signature``: the lead (first third) is signed apart so that two stories sharing only
    a site footer or a platform disclaimer at the end are not taken for one."""
    t = normalize(text)
    whole = {t[i : i + SHINGLE].encode("utf-8") for i in range(max(len(t) - SHINGLE + 1, 0))}
    cut = max(int(len(t) * LEAD), 60)
    lead = {t[i : i + SHINGLE].encode("utf-8") for i in range(max(min(cut, len(t)) - SHINGLE + 1, 0))}
    return Signature(_minhash(whole, num_perm), len(whole), _minhash(lead, num_perm), len(lead))


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """MinHash's Jaccard estimate: the share of equal hash values (as ``MinHash.jaccard``)."""
    return float(np.count_nonzero(a == b)) / len(a)


def _shared(j: float, na: int, nb: int) -> float:
    """Estimated |A∩B| from the Jaccard estimate ``j``: J = |A∩B| / (|A| + |B| - |A∩B|)."""
    return j / (1 + j) * (na + nb)


@dataclass(frozen=True)
class Pair:
    """A confirmed reprint pair with its estimated Jaccard index and containment."""

    a: str
    b: str
    jaccard: float
    containment: float
    lead: float = 0.0


class _Rows:
    """Signatures as rows of numpy arrays that grow by doubling; a removed row is only marked dead, and
    LSH candidates are rows sharing a band (``bands`` columns of ``width`` hash values, as datasketch's
    ``MinHashLSH`` splits them), found by one vectorised comparison per query instead of a hash table
    that would have to be rebuilt document by document on every load."""

    def __init__(self, num_perm: int, bands: int, width: int, dtype: np.dtype) -> None:
        self.num_perm, self.bands, self.width, self.dtype = num_perm, bands, width, dtype
        self.n = 0
        self.mix = np.array([0x9E3779B97F4A7C15 ** (i + 1) % (1 << 64) for i in range(width)], np.uint64)
        self.whole = np.zeros((0, num_perm), dtype)
        self.lead = np.zeros((0, num_perm), dtype)
        self.sizes = np.zeros((0, 2), np.int64)
        self.keys = np.zeros((0, bands), np.uint64)
        self.alive = np.zeros(0, bool)

    def band_keys(self, hv: np.ndarray) -> np.ndarray:
        """One 64-bit key per band (equal bands give equal keys; a rare collision only adds a candidate)."""
        cut = hv[..., : self.bands * self.width].astype(np.uint64).reshape(*hv.shape[:-1], self.bands, self.width)
        with np.errstate(over="ignore"):
            return (cut * self.mix).sum(axis=-1, dtype=np.uint64)

    def append(self, sig: Signature) -> int:
        if self.n == len(self.alive):
            cap = max(2 * self.n, 64)
            for name in ("whole", "lead", "sizes", "keys", "alive"):
                old = getattr(self, name)
                grown = np.zeros((cap, *old.shape[1:]), old.dtype)
                grown[: self.n] = old[: self.n]
                setattr(self, name, grown)
        row, self.n = self.n, self.n + 1
        self.whole[row], self.lead[row] = sig.whole, sig.lead
        self.sizes[row] = (sig.size, sig.lead_size)
        self.keys[row] = self.band_keys(sig.whole)
        self.alive[row] = True
        return row

    def candidates(self, row: int, min_shingles: int) -> np.ndarray:
        """Live rows sharing at least one band with ``row`` (those too short to cluster left out)."""
        hit = (self.keys[: self.n] == self.keys[row]).any(axis=1)
        hit &= self.alive[: self.n] & (self.sizes[: self.n, 0] >= min_shingles)
        hit[row] = False
        return np.flatnonzero(hit)

    def signature(self, row: int) -> Signature:
        return Signature(self.whole[row], int(self.sizes[row, 0]), self.lead[row], int(self.sizes[row, 1]))


class ReprintIndex:
    """Near-duplicate clusters over documents, updated one document at a time."""

    def __init__(
        self,
        num_perm: int = NUM_PERM,
        lsh_threshold: float = LSH_THRESHOLD,
        min_containment: float = MIN_CONTAINMENT,
        min_shingles: int = MIN_SHINGLES,
    ) -> None:
        self.num_perm, self.lsh_threshold = num_perm, lsh_threshold
        self.min_containment, self.min_shingles = min_containment, min_shingles
        lsh = MinHashLSH(threshold=lsh_threshold, num_perm=num_perm)  # only for its band layout (b, r)
        self._rows = _Rows(num_perm, lsh.b, lsh.r, MinHash(num_perm=num_perm).hashvalues.dtype)
        self._row: dict[str, int] = {}  # doc_id -> row
        self._ids: list[str] = []  # row -> doc_id
        self._edges: dict[str, dict[str, Pair]] = {}

    def __len__(self) -> int:
        return len(self._row)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._row

    def add(self, doc_id: str, text: str) -> set[str]:
        """Index one document (replacing an earlier version); returns the ids of its confirmed reprints."""
        if doc_id in self._row:
            self.remove(doc_id)
        row = self._rows.append(signature(text, self.num_perm))
        self._row[doc_id] = row
        self._ids.append(doc_id)
        self._edges[doc_id] = {}
        if self._rows.sizes[row, 0] < self.min_shingles:
            return set()
        found = set()
        for other in (self._ids[r] for r in self._rows.candidates(row, self.min_shingles)):
            pair = self.compare(doc_id, other)
            if pair:
                self._edges[doc_id][other] = self._edges[other][doc_id] = pair
                found.add(other)
        return found

    def estimate(self, a: str, b: str) -> tuple[float, float]:
        """The estimated Jaccard index of ``a`` and ``b`` and containment of the shorter in the longer."""
        sa, sb = self._rows.signature(self._row[a]), self._rows.signature(self._row[b])
        j = _jaccard(sa.whole, sb.whole)
        return j, min(_shared(j, sa.size, sb.size) / max(min(sa.size, sb.size), 1), 1.0)

    def compare(self, a: str, b: str) -> Pair | None:
        """The pair ``a``/``b`` if they are reprints of one story: the shorter text mostly contained in the
        longer (``min_containment``), at least ``MIN_SHARED`` shingles in common, and each text's lead
        found in the other (``MIN_LEAD``)."""
        sa, sb = self._rows.signature(self._row[a]), self._rows.signature(self._row[b])
        if sa.size > sb.size:
            sa, sb = sb, sa
        j = _jaccard(sa.whole, sb.whole)
        inter = _shared(j, sa.size, sb.size)
        c = min(inter / max(sa.size, 1), 1.0)
        if c < self.min_containment or inter < MIN_SHARED:
            return None
        lead = min(
            _shared(_jaccard(sa.lead, sb.whole), sa.lead_size, sb.size) / max(sa.lead_size, 1),
            _shared(_jaccard(sb.lead, sa.whole), sb.lead_size, sa.size) / max(sb.lead_size, 1),
            1.0,
        )
        if lead < MIN_LEAD:  # each text's lead must be in the other: a shared footer or disclaimer is not
            return None
        return Pair(a, b, round(j, 4), round(c, 4), round(lead, 4))

    def remove(self, doc_id: str) -> bool:
        """Forget one document and its pairs; True if it was indexed."""
        row = self._row.pop(doc_id, None)
        if row is None:
            return False
        self._rows.alive[row] = False
        for other in self._edges.pop(doc_id, {}):
            self._edges[other].pop(doc_id, None)
        return True

    def reprints(self, doc_id: str) -> set[str]:
        """The other members of ``doc_id``'s cluster (empty if none or not indexed)."""
        if doc_id not in self._edges:
            return set()
        seen, todo = {doc_id}, [doc_id]
        while todo:
            for nxt in self._edges[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen - {doc_id}

    def pairs(self) -> list[Pair]:
        """Every confirmed pair once."""
        return [p for a, es in self._edges.items() for b, p in es.items() if a < b]

    def clusters(self) -> list[list[str]]:
        """Clusters of two or more documents, each sorted, largest first."""
        out, seen = [], set()
        for d in sorted(self._edges):
            if d in seen or not self._edges[d]:
                continue
            members = sorted(self.reprints(d) | {d})
            seen.update(members)
            out.append(members)
        return sorted(out, key=lambda c: (-len(c), c))

    def cluster_map(self) -> dict[str, str]:
        """doc_id -> cluster key (the smallest id in its cluster), for documents in a cluster."""
        return {d: c[0] for c in self.clusters() for d in c}

    def save(self, folder: Path) -> None:
        """Write to ``folder``: live signatures as .npy, ids, sizes and the confirmed pairs as JSON (no
        pickles). Not atomic by itself: write it inside a version folder that is swapped in atomically."""
        folder.mkdir(parents=True, exist_ok=True)
        ids = list(self._row)
        rows = np.array([self._row[d] for d in ids], np.int64)
        r = self._rows
        np.save(folder / "minhash.npy", np.stack([r.whole[rows], r.lead[rows]], axis=1), allow_pickle=False)
        pos = {d: i for i, d in enumerate(ids)}
        meta = {
            "format": FORMAT, "shingle": SHINGLE, "num_perm": self.num_perm, "scheme": MinHash(1).scheme,
            "lsh_threshold": self.lsh_threshold, "min_containment": self.min_containment,
            "min_shingles": self.min_shingles, "ids": ids, "sizes": r.sizes[rows].tolist(),
            "pairs": [[pos[p.a], pos[p.b], p.jaccard, p.containment, p.lead] for p in self.pairs()],
        }
        (folder / "reprints.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> ReprintIndex:
        """Read what ``save`` wrote: arrays and pairs as saved, nothing recomputed."""
        meta = json.loads((folder / "reprints.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("shingle") != SHINGLE or meta.get("scheme") != MinHash(1).scheme:
            raise ValueError(f"reprint index at {folder} has format {meta.get('format')}/{meta.get('shingle')}: rebuild it")
        idx = cls(meta["num_perm"], meta["lsh_threshold"], meta["min_containment"], meta["min_shingles"])
        sigs = np.load(folder / "minhash.npy", allow_pickle=False)
        ids = meta["ids"]
        r, n = idx._rows, len(ids)
        if sigs.shape != (n, 2, idx.num_perm):
            raise ValueError(f"reprint index at {folder}: {sigs.shape} signatures for {n} documents")
        r.n, r.whole, r.lead = n, sigs[:, 0].astype(r.dtype), sigs[:, 1].astype(r.dtype)
        r.sizes = np.array(meta["sizes"], np.int64).reshape(n, 2)
        r.keys, r.alive = r.band_keys(r.whole), np.ones(n, bool)
        idx._ids, idx._row = list(ids), {d: i for i, d in enumerate(ids)}
        idx._edges = {d: {} for d in ids}
        for i, j, jac, c, lead in meta["pairs"]:
            a, b = ids[i], ids[j]
            idx._edges[a][b] = idx._edges[b][a] = Pair(a, b, jac, c, lead)
        return idx


def build(docs: Iterable[tuple[str, str]], **kw: float) -> ReprintIndex:
    """A ``ReprintIndex`` over ``(doc_id, text)`` pairs."""
    idx = ReprintIndex(**kw)  # type: ignore[arg-type]
    for doc_id, text in docs:
        idx.add(doc_id, text)
    return idx


@dataclass(frozen=True)
class Collapsed:
    """One hit standing for its cluster, and the other copies of the story (``also``: doc ids)."""

    hit: Hit
    also: tuple[str, ...] = ()

    @property
    def outlets(self) -> int:
        """How many other copies report the same story ("also reported by N outlets")."""
        return len(self.also)


def collapse(
    hits: Sequence[Hit],
    cluster_of: Mapping[str, str],
    members: Mapping[str, Sequence[str]] | None = None,
    k: int | None = None,
    dates: Mapping[str, str | None] | None = None,
) -> list[Collapsed]:
    """One hit per reprint cluster, in the order of each cluster's best hit; at most ``k``.

    ``cluster_of`` maps doc_id -> cluster key (documents not in it stand alone); ``members`` maps a
    key to all doc ids of the cluster (default: the ids seen in ``hits``). With ``dates`` (doc_id ->
    ISO date), the cluster is shown by its earliest-dated copy among the hits, else by its best hit.
    Pure: no index access, so the caller fetches a few more candidates than ``k``.
    """
    groups: dict[str, list[Hit]] = {}
    for h in hits:
        groups.setdefault(cluster_of.get(h.chunk.doc_id, "\0" + h.chunk.doc_id), []).append(h)
    out = []
    for key, group in groups.items():
        best = group[0]
        if dates:
            dated = [h for h in group if dates.get(h.chunk.doc_id)]
            if dated:
                best = min(dated, key=lambda h: (dates[h.chunk.doc_id], -h.score))
        ids = members.get(key, ()) if members and key in members else [h.chunk.doc_id for h in group]
        also = tuple(dict.fromkeys(d for d in ids if d != best.chunk.doc_id))
        out.append(Collapsed(best, also))
    return out[:k] if k else out
