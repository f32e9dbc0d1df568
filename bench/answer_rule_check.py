"""Dev-set check of the organisation answer type and English ordinals: the affected reading/ChronoQA dev
questions answered with and without them (python bench/answer_rule_check.py from the repository root)."""
import json, re, sys
from pathlib import Path
from rag.settings import Settings
from rag.embed import get_embedder
from rag.evaluation.corpus import cached_index
from rag.pipeline import Assistant
from rag.store import IndexStore
import rag.query as Q
s = Settings(); e = get_embedder(s.embedder)
def affected(rows):
    out=[]
    for r in rows:
        a = Q.analyze(r["question"]).answer_type == "organisation"
        o = not re.search(r"[\u4e00-\u9fff]", r["question"]) and any(re.search(rf"\b{w}\b", r["question"], re.I) for w in Q._ORDINALS)
        if a or o: out.append(r)
    return out
sets = {}
for name in ("chronoqa", "reading"):
    rows=[json.loads(l) for l in open(f"../shared/evalsets/{name}/qa.jsonl")]
    if name == "chronoqa": rows=[r for r in rows if r["answer_scorable"]]
    sets[name] = (affected(rows), cached_index(Path(f"../shared/evalsets/{name}/corpus.jsonl"), s, e).index_dir)
def run(label):
    for name, (rows, idx) in sets.items():
        a = Assistant(s.with_(index_dir=idx), IndexStore.open(idx, e.id), e)
        right = refused = 0
        for r in rows:
            ans = a.ask(r["question"], as_of=r.get("as_of") if name=="chronoqa" and re.match(r"\d{4}-\d\d-\d\d$", r.get("as_of","")) else None)
            t = "" if ans.refused else re.sub(r"\[\d+\]", "", ans.text).lower()
            right += any(x.lower() in t for x in r["answers"]); refused += ans.refused
        print(label, name, len(rows), "right", right, "refused", refused, flush=True)
run("with the new rules")
Q._TYPES.pop("organisation"); Q._ORDINALS.clear()
run("without them")
