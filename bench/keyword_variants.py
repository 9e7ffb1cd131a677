"""`python -m bench.keyword_variants FOLDER...`: keyword ranking variants on BEIR folders.

Measures, with kb's own text analysis, which choices make kb's keyword ranking trail a plain
BM25 over title + text: fielded scoring and the title's weight, k1, stemming, stop words, and
scoring chunks (best chunk per document) against whole documents. Prints nDCG@10 with a
bootstrap 95% interval per variant and folder. Reads the folders; writes nothing.
"""

from __future__ import annotations

import argparse
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.report import mean_with_interval
from kb.evaluation.beir import load_corpus, load_qrels, load_queries
from kb.evaluation.metrics import judged_queries, ndcg_at
from kb.indexer.analysis import Analysis, language_analyzer
from kb.indexer.chunk import chunk_document

Tokenize = Callable[[str], list[str]]


@dataclass(frozen=True)
class Variant:
    name: str
    title_weight: float  # 0: title and text are one field
    k1: float = 1.2
    b: float = 0.75
    chunks: bool = True
    stem: bool = True
    # BM25F (Robertson et al. 2004): field frequencies are weighted and length-normalised,
    # summed, and saturated once; otherwise each field saturates on its own and scores add.
    bm25f: bool = False


VARIANTS = (
    Variant("BM25F title 1.5, chunks", 1.5, bm25f=True),
    Variant("BM25F title 2.5, chunks", 2.5, bm25f=True),
    Variant("BM25F title 4.0, chunks", 4.0, bm25f=True),
    Variant("BM25F title 2.5, documents", 2.5, bm25f=True, chunks=False),
    Variant("fields summed, title 2.5, chunks (before BM25F)", 2.5),
    Variant("fields, title 1.0, chunks", 1.0),
    Variant("fields, title 1.5, chunks", 1.5),
    Variant("one field title+text, chunks", 0.0),
    Variant("one field title+text, documents", 0.0, chunks=False),
    Variant("one field, documents, k1 1.5", 0.0, k1=1.5, chunks=False),
    Variant("fields title 2.5, documents", 2.5, chunks=False),
    Variant("fields title 1.0, documents", 1.0, chunks=False),
    Variant("one field, documents, no stemming", 0.0, chunks=False, stem=False),
)


def _tokenizer(stem: bool) -> Tokenize:
    if stem:
        analysis = Analysis(("en",))
        return lambda text: analysis.words("en", text)
    analyzer = language_analyzer("other")
    return lambda text: [token.text for token in analyzer(text)]


def _units(folder: Path, chunks: bool) -> list[tuple[str, str, str]]:
    """(document id, title, text) per scored unit: a chunk, or the whole document."""
    units = []
    for document in load_corpus(folder / "corpus.jsonl"):
        if not chunks:
            units.append((document.id, document.title, document.body))
            continue
        for chunk in chunk_document(document, 300):
            body = "\n".join((*chunk.heading_path, chunk.text))
            units.append((document.id, document.title, body))
    return units


def _score(variant: Variant, folder: Path) -> list[float]:
    tokenize = _tokenizer(variant.stem)
    units = _units(folder, variant.chunks)
    fields: list[list[Counter[str]]] = []
    for _, title, text in units:
        if variant.title_weight == 0.0:
            fields.append([Counter(tokenize(f"{title}\n{text}"))])
        else:
            fields.append([Counter(tokenize(text)), Counter(tokenize(title))])
    weights = [1.0] if variant.title_weight == 0.0 else [1.0, variant.title_weight]
    count = len(units)
    holders: Counter[str] = Counter()
    for unit in fields:
        holders.update(set().union(*unit))
    averages = [
        max(1e-9, sum(sum(unit[f].values()) for unit in fields) / count)
        for f in range(len(weights))
    ]
    postings: dict[str, list[tuple[int, float]]] = {}
    for row, unit in enumerate(fields):
        if variant.bm25f:
            blended: Counter[str] = Counter()
            for f, counter in enumerate(unit):
                length = sum(counter.values())
                norm = 1 - variant.b + variant.b * length / averages[f]
                for term, frequency in counter.items():
                    blended[term] += weights[f] * frequency / norm
            for term, frequency in blended.items():
                idf = math.log1p((count - holders[term] + 0.5) / (holders[term] + 0.5))
                weight = idf * frequency * (variant.k1 + 1) / (frequency + variant.k1)
                postings.setdefault(term, []).append((row, weight))
            continue
        for f, counter in enumerate(unit):
            length = sum(counter.values())
            norm = variant.k1 * (1 - variant.b + variant.b * length / averages[f])
            for term, frequency in counter.items():
                idf = math.log1p((count - holders[term] + 0.5) / (holders[term] + 0.5))
                weight = weights[f] * idf * frequency * (variant.k1 + 1) / (frequency + norm)
                postings.setdefault(term, []).append((row, weight))
    queries = load_queries(folder / "queries.jsonl")
    qrels = load_qrels(folder / "qrels.tsv")
    values = []
    for query in judged_queries({q: g for q, g in qrels.items() if q in queries}):
        scores: dict[int, float] = {}
        for term in dict.fromkeys(tokenize(queries[query])):
            for row, weight in postings.get(term, ()):
                scores[row] = scores.get(row, 0.0) + weight
        best: dict[str, float] = {}
        for row, score in scores.items():
            owner = units[row][0]
            best[owner] = max(best.get(owner, 0.0), score)
        ranked = sorted(best, key=lambda owner: (-best[owner], owner))
        values.append(ndcg_at(ranked, qrels[query], 10))
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--only", default="", help="Run the variants whose name holds this.")
    arguments = parser.parse_args(argv)
    for variant in (variant for variant in VARIANTS if arguments.only in variant.name):
        cells = []
        for folder in arguments.folders:
            cells.append(mean_with_interval(folder.name, _score(variant, folder)))
        print(f"{variant.name:<48} " + "   ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
