"""Check: the streaming BM25 build and the new top-k give bm25s's scores and rankings (ties aside).

    .venv/bin/python -m bench.check_keyword        # ~15 s; exits non-zero on any difference

Builds the keyword index of the news_public corpus chunks twice, with ``bm25s.BM25().index(lists)``
(what rag/keyword.py did before) and with ``rag.keyword.KeywordIndex.build`` (streaming), compares the
score matrices column by column, bit for bit, then compares ``KeywordIndex.search`` with
``bm25s.retrieve`` on the 205 benchmark questions: same rows and scores, except that rows with equal
scores may come in another order (now: by row; before: whatever ``np.argpartition`` left).
"""

from __future__ import annotations

import sys

import numpy as np

from bench.common import CORPUS, queries


def main() -> int:
    import bm25s

    from rag.chunk import chunk
    from rag.clean import clean
    from rag.keyword import KeywordIndex, chunk_tokens, tokenize
    from rag.load import Skipped, load

    docs = [clean(x) for x in load([CORPUS]) if not isinstance(x, Skipped)]
    lists = [chunk_tokens(c.title, c.text) for d in docs for c in chunk(d, 300, 1)] + [[]]
    old = bm25s.BM25()
    old.index([t or ["\u0000"] for t in lists], show_progress=False)
    new = KeywordIndex.build(iter(lists))
    problems = []
    if set(old.vocab_dict) != set(new.vocab):
        problems.append("vocabularies differ")
    a, b = old.scores, new._bm25.scores
    differing = 0
    for token, i in old.vocab_dict.items():
        if token == "":
            continue
        j = new.vocab[token]
        ra, rb = a["indices"][a["indptr"][i] : a["indptr"][i + 1]], b["indices"][b["indptr"][j] : b["indptr"][j + 1]]
        da, db = a["data"][a["indptr"][i] : a["indptr"][i + 1]], b["data"][b["indptr"][j] : b["indptr"][j + 1]]
        differing += not (np.array_equal(ra, rb) and np.array_equal(da.view(np.uint32), db.view(np.uint32)))
    if differing:
        problems.append(f"{differing} token columns differ")
    same = ties = 0
    for q in queries():
        toks = [t for t in tokenize(q) if t in new.vocab]
        s_new, r_new = new.search(q, 50)
        if not toks:
            same += len(r_new) == 0
            continue
        rows, scores = old.retrieve([toks], k=50, show_progress=False, n_threads=0)
        keep = scores[0] > 0
        s_old, r_old = scores[0][keep], rows[0][keep]
        if np.array_equal(r_new, r_old) and np.array_equal(s_new, s_old):
            same += 1
        elif np.array_equal(np.sort(s_new), np.sort(s_old)) and set(r_new[s_new > s_new.min()]) == set(r_old[s_old > s_old.min()]):
            ties += 1
        else:
            problems.append(f"question {q!r}: different results")
    print(f"{len(lists)} chunks, {len(new.vocab)} tokens, nnz {int(b['indptr'][-1])}: score matrices {'identical' if not differing else 'DIFFER'}; "
          f"{len(queries())} questions: {same} identical, {ties} identical up to the order of equal scores")
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
