"""Retrieval quality on the dev, held-out and blind sets, against a plain BM25 baseline computed in the same run.

    python -m tools.evaluation.evaluate [--no-dense] [--no-examples] [--fusion weighted|rrf|lexical] [--failures]

For each set (dev; held-out: written after the dev set, blind to the engine; blind: written after the
example questions, blind to them and to the engine, never used for any decision) and question style (natural, unaccented, abbreviated): top-1 and recall@5, a hit counting when its
code is in the question's `acceptable` list, and what the chat reply gives the citizen (the right
procedure answered, or a tap away on a button); aspect accuracy; diacritic restoration accuracy; the share of dev
questions flagged not confident (false rejects) and of out-of-scope lines flagged confident
(false accepts), and of administrative questions about procedures the crawled catalogue lacks
(`not_in_catalogue.jsonl`) flagged confident; search latency p50/p95 over every query searched.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
from pathlib import Path

import numpy as np

from knowledge_base.catalogue.models import Procedure
from knowledge_base.search.engine import SearchConfig
from knowledge_base.search.lexical import BM25Index, WeightedField
from knowledge_base.text import fold, folded_syllables, syllables

HERE = Path(__file__).resolve().parent
STYLES = ("natural", "unaccented", "abbreviated")


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class BaselineBM25:
    """Plain BM25: folded syllables + bigrams over name + field; no aliases, restoration or stripping."""

    def __init__(self, procedures: list[Procedure]):
        self.codes = [p.code for p in procedures]
        docs = [[WeightedField(folded_syllables(p.name + " " + p.field), 1.0)] for p in procedures]
        self.index = BM25Index.build(docs, k1=1.2, b=0.75)

    def search(self, text: str, limit: int = 5) -> list[str]:
        toks = folded_syllables(text)
        terms: dict[str, float] = {}
        for t in toks + [f"{a}_{b}" for a, b in zip(toks, toks[1:])]:
            terms[t] = terms.get(t, 0.0) + 1.0
        scores = self.index.scores(terms)
        order = np.argsort(-scores)[:limit]
        return [self.codes[i] for i in order if scores[i] > 0]


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devset", type=Path, default=HERE / "devset.jsonl")
    parser.add_argument("--oos", type=Path, default=HERE / "out_of_scope.jsonl")
    parser.add_argument("--nic", type=Path, default=HERE / "not_in_catalogue.jsonl")
    parser.add_argument("--heldout", type=Path, default=HERE / "heldout.jsonl",
                        help="questions written blind to the engine, never used for tuning")
    parser.add_argument("--blind", type=Path, default=HERE / "blind.jsonl",
                        help="questions written blind to the engine and to the example questions, after both")
    parser.add_argument("--no-dense", action="store_true", help="lexical only (skip the encoder)")
    parser.add_argument("--fusion", choices=["weighted", "rrf", "lexical"], default=None)
    parser.add_argument("--dense-weight", type=float, default=None)
    parser.add_argument("--no-examples", action="store_true",
                        help="ablation: leave the example questions out of ranking (the restorer still learned from them)")
    parser.add_argument("--failures", action="store_true", help="print the questions whose top-1 misses")
    args = parser.parse_args(argv)

    from settings import SETTINGS
    from knowledge_base.service import KnowledgeBase

    settings = dataclasses.replace(SETTINGS, use_dense=False) if args.no_dense else SETTINGS
    config = SearchConfig()
    if args.fusion:
        config.fusion = args.fusion
    if args.dense_weight is not None:
        config.dense_weight = args.dense_weight
    if args.no_examples:
        config.example_weight = config.example_dense_weight = 0.0
    kb = KnowledgeBase.load(settings, config=config)
    baseline = BaselineBM25(kb.procedures)
    dev = load_jsonl(args.devset)
    oos = load_jsonl(args.oos) if args.oos.is_file() else []
    nic = load_jsonl(args.nic) if args.nic.is_file() else []
    heldout = load_jsonl(args.heldout) if args.heldout.is_file() and args.heldout != args.devset else []
    blind = load_jsonl(args.blind) if args.blind.is_file() and args.blind != args.devset else []

    for q in (dev[0][STYLES[0]], "warm up"):  # first query pays lazy initialisation
        kb.search(q)

    latencies: list[float] = []
    failures: list[str] = []

    def retrieval(items: list[dict], tag: str) -> tuple[list[tuple], int]:
        """Per style (top-1, recall@5, BM25 top-1, BM25 recall@5) and how many queries were not confident."""
        rows, not_confident = [], 0
        for style in STYLES:
            top1 = rec5 = b_top1 = b_rec5 = 0
            for item in items:
                text, ok = item[style], set(item["acceptable"])
                res = kb.search(text, limit=5)
                latencies.append(res.took_ms)
                codes = [h.code for h in res.hits]
                top1 += bool(codes) and codes[0] in ok
                rec5 += any(c in ok for c in codes[:5])
                not_confident += not res.confident
                if args.failures and tag == "dev" and (not codes or codes[0] not in ok):
                    got = f"{codes[0]} {kb.get(codes[0]).name[:70]}" if codes else "-"
                    failures.append(f"[{style[:3]}] {item['id']} {text!r}\n      understood: {res.query!r}\n"
                                    f"      want {sorted(ok)} got {got} (in top5: {any(c in ok for c in codes)})")
                b_codes = baseline.search(text, 5)
                b_top1 += bool(b_codes) and b_codes[0] in ok
                b_rec5 += any(c in ok for c in b_codes)
            n = max(len(items), 1)
            rows.append((style, top1 / n, rec5 / n, b_top1 / n, b_rec5 / n))
        return rows, not_confident

    def dialogue(items: list[dict]) -> list[tuple]:
        """What the citizen gets in the chat (`KnowledgeBase.respond`), per style: the right procedure
        answered, the right one a tap away (a button under a wrong answer, or a clarifying choice),
        a wrong answer, no match."""
        rows = []
        for style in STYLES:
            right = tap = wrong = none = 0
            for item in items:
                ok = set(item["acceptable"])
                reply = kb.respond(item[style])
                offered = {c.code for c in reply.choices}
                if reply.kind == "answer" and reply.procedure_codes[0] in ok:
                    right += 1
                elif ok & offered:
                    tap += 1
                elif reply.kind == "no_match":
                    none += 1
                else:
                    wrong += 1
            n = max(len(items), 1)
            rows.append((style, right / n, tap / n, (right + tap) / n, wrong / n, none / n))
        return rows

    aspect_ok = aspect_answered = 0
    for item in dev:
        asked = [a.value for a in kb.engine.analyze(item["natural"]).aspects]
        aspect_ok += asked[0] == item["aspect"]
        aspect_answered += item["aspect"] in asked
    sets = [("dev", dev)] + [(tag, items) for tag, items in (("held-out", heldout), ("blind", blind)) if items]
    results = {tag: (*retrieval(items, tag), dialogue(items)) for tag, items in sets}
    not_confident = results["dev"][1]

    def accepted(items: list[dict], tag: str) -> int:
        """How many of these lines (which no procedure answers) the search is confident about."""
        count = 0
        for item in items:
            res = kb.search(item["text"], limit=5)
            latencies.append(res.took_ms)
            if res.confident:
                count += 1
                if args.failures:
                    failures.append(f"[{tag}] {item['id']} {item['text']!r} accepted -> "
                                    f"{res.hits[0].code} {res.hits[0].name[:60]}")
        return count

    # diacritic restoration: the natural questions with their accents stripped, syllable by syllable
    restored_ok = restored_total = 0
    for item in dev:
        gold = syllables(item["natural"])
        got = kb.engine.restorer.restore_tokens([fold(t) for t in gold])
        restored_ok += sum(g == h for g, h in zip(gold, got))
        restored_total += len(gold)

    oos_accepted = accepted(oos, "oos")
    nic_accepted = accepted(nic, "nic")

    if failures:
        print("\n".join(failures))
        print()
    dense = "on" if kb.dense_enabled else "off"
    print(f"Sets: {', '.join(f'{tag} {len(items)}' for tag, items in sets)} questions x {len(STYLES)} styles; "
          f"out-of-scope: {len(oos)} lines; "
          f"dense: {dense}; fusion: {kb.engine.config.fusion}")
    print()
    for tag, items in sets:
        rows, _, chat = results[tag]
        print(f"{tag} ({len(items)} questions)")
        print(f"  {'style':<13}{'top-1':>8}{'recall@5':>10}{'BM25 top-1':>12}{'BM25 r@5':>10}")
        for style, t1, r5, bt1, br5 in rows:
            print(f"  {style:<13}{t1:>8.3f}{r5:>10.3f}{bt1:>12.3f}{br5:>10.3f}")
        print(f"  chat reply:  {'answered right':>15}{'a tap away':>12}{'reached':>9}{'wrong':>7}{'no match':>10}")
        for style, right, tap, reached, wrong, none in chat:
            print(f"  {style:<13}{right:>15.3f}{tap:>12.3f}{reached:>9.3f}{wrong:>7.3f}{none:>10.3f}")
        print()
    total_dev = len(dev) * len(STYLES)
    print(f"aspect accuracy (natural):            {aspect_ok / max(len(dev), 1):.3f} main aspect; "
          f"{aspect_answered / max(len(dev), 1):.3f} labelled aspect among those answered (up to 2)")
    print(f"diacritic restoration (natural, accents stripped): {restored_ok / max(restored_total, 1):.3f} "
          f"of {restored_total} syllables")
    print(f"dev questions flagged not confident:  {not_confident / max(total_dev, 1):.3f} (false reject)")
    if oos:
        print(f"out-of-scope rejected:                {1 - oos_accepted / len(oos):.3f} "
              f"(false accept {oos_accepted}/{len(oos)})")
    if nic:
        print(f"not-in-catalogue rejected:            {1 - nic_accepted / len(nic):.3f} "
              f"(false accept {nic_accepted}/{len(nic)}: procedures outside the 2,642 crawled)")
    print(f"search latency ms: p50 {percentile(latencies, 50):.1f}  p95 {percentile(latencies, 95):.1f}  "
          f"max {max(latencies):.1f}  (n={len(latencies)}, mean {statistics.mean(latencies):.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
