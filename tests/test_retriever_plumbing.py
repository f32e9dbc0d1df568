"""The retriever as a LangChain BaseRetriever, fusion variants, date filter, and cross-encoder rerank plumbing."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.retrieve import HybridRetriever, LangChainRetriever
from rag.store import IndexStore

from .conftest import SEEDS


@pytest.fixture()
def hash_store(ingest_hash) -> IndexStore:  # type: ignore[no-untyped-def]
    _, index = ingest_hash(SEEDS)
    return IndexStore.open(index)


def test_langchain_retriever_returns_documents_with_metadata(hash_store, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    lc = LangChainRetriever(retriever=HybridRetriever(hash_store, hash_embedder), k=3)
    docs = lc.invoke("包头市城市质量发展大会")
    assert len(docs) == 3 and docs[0].metadata["doc_id"] == "002_b7bf3aecb8f9b87f.txt"
    assert {"chunk_id", "start", "end", "score", "found_by", "title", "date"} <= set(docs[0].metadata)


@pytest.mark.parametrize("fusion", ["rrf", "weighted"])
def test_fusions_rank_the_obvious_article_first(hash_store, hash_embedder, fusion: str) -> None:  # type: ignore[no-untyped-def]
    r = HybridRetriever(hash_store, hash_embedder, fusion=fusion)
    hits = r.search(r.analyze("顾维中 中国质量(杭州)大会 媒体采访"), 5)
    assert hits[0].chunk.doc_id == "003_0397e52ffcd671d1.txt"
    assert hits == sorted(hits, key=lambda h: h.score, reverse=True)


def test_date_filter_and_year_boost(hash_store, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    r = HybridRetriever(hash_store, hash_embedder)
    hits = r.search(r.analyze("质量强市 会议"), 10, date_from="2016-01-01", date_to="2016-12-31")
    assert hits and {h.chunk.doc_id for h in hits} == {"002_b7bf3aecb8f9b87f.txt"}
    boosted = r.search(r.analyze("2021年 质量 大会"), 3)
    assert boosted[0].chunk.doc_id == "003_0397e52ffcd671d1.txt"


def test_fusion_setting_is_validated(hash_store, hash_embedder) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="fusion must be 'rrf' or 'weighted', got 'max'"):
        HybridRetriever(hash_store, hash_embedder, fusion="max")


def _tiny_cross_encoder(path: Path) -> Path:
    """A randomly initialised two-layer BERT cross-encoder with a character vocabulary, built locally."""
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    chars = sorted({c for f in SEEDS.iterdir() for c in f.read_text(encoding="utf-8") if not c.isspace()})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]
    (path / "vocab.txt").write_text("\n".join(vocab), encoding="utf-8")
    BertTokenizerFast(vocab_file=str(path / "vocab.txt")).save_pretrained(path)
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, num_labels=1, max_position_embeddings=512)
    BertForSequenceClassification(config).save_pretrained(path)
    return path


def test_cross_encoder_rerank_reorders_by_model_scores(hash_store, hash_embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sentence_transformers import CrossEncoder

    model = CrossEncoder(str(_tiny_cross_encoder(tmp_path)), device="cpu")
    r = HybridRetriever(hash_store, hash_embedder, reranker=model)
    question = "包头市城市质量发展大会由谁主持"
    hits = r.search(r.analyze(question), 5)
    assert all("rerank" in h.found_by for h in hits)
    expected = model.predict([(question, h.chunk.text) for h in hits])
    assert [round(h.score, 4) for h in hits] == [round(float(s), 4) for s in sorted(expected, reverse=True)]
