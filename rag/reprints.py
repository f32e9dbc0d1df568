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
FORMAT = 1
_DROP = re.compile(r"[\W_]+", re.UNICODE)  # whitespace and punctuation: re-broken paragraphs change nothing


def normalize(text: str) -> str:
    """The text as compared: NFKC, lower case, without whitespace or punctuation."""
    return _DROP.sub("", unicodedata.normalize("NFKC", text).lower())


def shingles(text: str, k: int = SHINGLE) -> set[bytes]:
    """The set of ``k``-character shingles of the normalized text."""
    t = normalize(text)
    return {t[i : i + k].encode("utf-8") for i in range(max(len(t) - k + 1, 0))}


def _minhash(sh: set[bytes], num_perm: int) -> MinHash:
    m = MinHash(num_perm=num_perm)
    if sh:
        m.update_batch(list(sh))
    return m


@dataclass(frozen=True)
class Signature:
    """MinHashes of a text's shingles and of its lead's, with their set sizes."""

    whole: MinHash
    size: int
    lead: MinHash
    lead_size: int


def signature(text: str, num_perm: int = NUM_PERM) -> Signature:
    """The text's ``Signature``: the lead (first third) is signed apart so that two stories sharing only
    a site footer or a platform disclaimer at the end are not taken for one."""
    t = normalize(text)
    whole = {t[i : i + SHINGLE].encode("utf-8") for i in range(max(len(t) - SHINGLE + 1, 0))}
    cut = max(int(len(t) * LEAD), 60)
    lead = {t[i : i + SHINGLE].encode("utf-8") for i in range(max(min(cut, len(t)) - SHINGLE + 1, 0))}
    return Signature(_minhash(whole, num_perm), len(whole), _minhash(lead, num_perm), len(lead))


def _shared(a: MinHash, na: int, b: MinHash, nb: int) -> float:
    """Estimated |A∩B| from the MinHash Jaccard estimate: J = |A∩B| / (|A| + |B| - |A∩B|)."""
    j = a.jaccard(b)
    return j / (1 + j) * (na + nb)


@dataclass(frozen=True)
class Pair:
    """A confirmed reprint pair with its estimated Jaccard index and containment."""

    a: str
    b: str
    jaccard: float
    containment: float
    lead: float = 0.0


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
        self._lsh = MinHashLSH(threshold=lsh_threshold, num_perm=num_perm)
        self._sig: dict[str, Signature] = {}
        self._edges: dict[str, dict[str, Pair]] = {}

    def __len__(self) -> int:
        return len(self._sig)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._sig

    def add(self, doc_id: str, text: str) -> set[str]:
        """Index one document (replacing an earlier version); returns the ids of its confirmed reprints."""
        return self._add(doc_id, signature(text, self.num_perm))

    def _add(self, doc_id: str, sig: Signature) -> set[str]:
        if doc_id in self._sig:
            self.remove(doc_id)
        self._sig[doc_id] = sig
        self._edges[doc_id] = {}
        if sig.size < self.min_shingles:
            return set()
        found = set()
        for other in self._lsh.query(sig.whole):
            pair = self.compare(doc_id, other)
            if pair:
                self._edges[doc_id][other] = self._edges[other][doc_id] = pair
                found.add(other)
        self._lsh.insert(doc_id, sig.whole)
        return found

    def compare(self, a: str, b: str) -> Pair | None:
        """The pair ``a``/``b`` if they are reprints of one story: the shorter text mostly contained in the
        longer (``min_containment``), at least ``MIN_SHARED`` shingles in common, and each text's lead
        found in the other (``MIN_LEAD``)."""
        sa, sb = self._sig[a], self._sig[b]
        if sa.size > sb.size:
            sa, sb = sb, sa
        inter = _shared(sa.whole, sa.size, sb.whole, sb.size)
        c = min(inter / max(sa.size, 1), 1.0)
        if c < self.min_containment or inter < MIN_SHARED:
            return None
        lead = min(
            _shared(sa.lead, sa.lead_size, sb.whole, sb.size) / max(sa.lead_size, 1),
            _shared(sb.lead, sb.lead_size, sa.whole, sa.size) / max(sb.lead_size, 1),
            1.0,
        )
        if lead < MIN_LEAD:  # each text's lead must be in the other: a shared footer or disclaimer is not
            return None
        return Pair(a, b, round(sa.whole.jaccard(sb.whole), 4), round(c, 4), round(lead, 4))

    def remove(self, doc_id: str) -> bool:
        """Forget one document and its pairs; True if it was indexed."""
        if doc_id not in self._sig:
            return False
        if self._sig[doc_id].size >= self.min_shingles:
            self._lsh.remove(doc_id)
        for other in self._edges.pop(doc_id, {}):
            self._edges[other].pop(doc_id, None)
        del self._sig[doc_id]
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
        """Write to ``folder`` (signatures as .npy, the rest as JSON; no pickles). Not atomic by itself:
        write it inside a version folder that is swapped in atomically."""
        folder.mkdir(parents=True, exist_ok=True)
        ids = list(self._sig)
        shape = (len(ids), 2, self.num_perm)
        probe = MinHash(num_perm=self.num_perm)
        rows = [[self._sig[d].whole.hashvalues, self._sig[d].lead.hashvalues] for d in ids]
        sigs = np.array(rows, dtype=probe.hashvalues.dtype).reshape(shape)
        np.save(folder / "minhash.npy", sigs, allow_pickle=False)
        meta = {
            "format": FORMAT, "shingle": SHINGLE, "num_perm": self.num_perm, "scheme": probe.scheme, "lsh_threshold": self.lsh_threshold,
            "min_containment": self.min_containment, "min_shingles": self.min_shingles,
            "ids": ids, "sizes": [[self._sig[d].size, self._sig[d].lead_size] for d in ids],
        }
        (folder / "reprints.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> ReprintIndex:
        """Read what ``save`` wrote; pairs are re-derived from the signatures (same result as adding)."""
        meta = json.loads((folder / "reprints.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("shingle") != SHINGLE:
            raise ValueError(f"reprint index at {folder} has format {meta.get('format')}/{meta.get('shingle')}: rebuild it")
        idx = cls(meta["num_perm"], meta["lsh_threshold"], meta["min_containment"], meta["min_shingles"])
        sigs = np.load(folder / "minhash.npy", allow_pickle=False)
        for doc_id, (n, nl), (hv, hl) in zip(meta["ids"], meta["sizes"], sigs):
            whole = MinHash(idx.num_perm, hashvalues=hv, scheme=meta["scheme"])
            sig = Signature(whole, int(n), MinHash(idx.num_perm, hashvalues=hl, scheme=meta["scheme"]), int(nl))
            idx._add(doc_id, sig)
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
