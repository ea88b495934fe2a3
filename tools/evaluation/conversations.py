"""Conversation quality: multi-turn dialogues and yes/no detail questions, per set and typing style.

    python -m tools.evaluation.conversations [--failures] [--json FILE]

Dialogues (`dialogues_*.jsonl`, 3–5 turns: a first question, follow-ups on another aspect, yes/no details, a
situation that narrows the variant, a switch to another procedure and follow-ups on it) are played through
`KnowledgeBase.respond` as the chat plays them: the procedure in focus is the last one answered, the aspect the
last one asked; a clarifying question counts as a miss but the simulated citizen picks the right choice when it is
offered, so one miss does not sink the rest of the dialogue. Details (`details_*.jsonl`) are single yes/no questions
asked with a procedure in focus.

Printed per set and style: first reply on the right procedure; follow-up turns on the right procedure (and by turn
type); the asked aspect answered (turns other than yes/no, on the right procedure); the yes/no verdict right with
the deciding passage quoted (the record's words, `evidence`, found in the reply); chat latency p50/p95.
The held-out sets were written before any tuning, by someone who never read the engine; the dev sets may be read
while improving it.
"""
from __future__ import annotations

import argparse
import json
import statistics
import time
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

from tools.evaluation.evaluate import HERE, STYLES, load_jsonl, percentile

SETS = {"dev": ("dialogues_dev.jsonl", "details_dev.jsonl"),
        "heldout": ("dialogues_heldout.jsonl", "details_heldout.jsonl")}


def normalized(text: str) -> str:
    text = unicodedata.normalize("NFC", text or "").casefold()
    return " ".join(text.replace("“", " ").replace("”", " ").replace("\"", " ").split())


def verdict_right(reply: Any, expected: str | None, evidence: str | None) -> bool:
    """The reply's verdict is the expected one and, when a passage decides it, quotes that passage."""
    if getattr(reply, "verdict", None) != expected:
        return False
    return evidence is None or normalized(evidence) in normalized(_said(reply))


def _said(reply: Any) -> str:
    return reply.text + "\n" + "\n".join(c.title for c in reply.choices)


class Tally:
    """Hits over totals by key."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = defaultdict(int)
        self.totals: dict[str, int] = defaultdict(int)

    def add(self, key: str, hit: bool) -> None:
        self.totals[key] += 1
        self.hits[key] += int(hit)

    def share(self, key: str) -> float | None:
        return self.hits[key] / self.totals[key] if self.totals[key] else None

    def cell(self, key: str) -> str:
        share = self.share(key)
        return "—" if share is None else f"{share:.3f} ({self.hits[key]}/{self.totals[key]})"


def play_dialogue(kb: Any, turns: list[dict], style: str, tally: Tally, latencies: list[float],
                  failures: list[str], name: str) -> None:
    focus: str | None = None
    aspect = None
    for n, turn in enumerate(turns):
        started = time.perf_counter()
        reply = kb.respond(turn[style], context_code=focus, aspect=aspect)
        latencies.append((time.perf_counter() - started) * 1000)
        acceptable = set(turn["acceptable"])
        answered = reply.kind == "answer" and bool(reply.procedure_codes) and reply.procedure_codes[0] in acceptable
        kind = "first" if n == 0 else "follow_up"
        tally.add(kind, answered)
        if n:
            tally.add(f"follow_up:{turn['type']}", answered)
        right = answered
        if turn["type"] == "yes_no":
            right = answered and verdict_right(reply, turn["verdict"], turn.get("evidence"))
            tally.add("yes_no", right)
        elif answered:
            right = reply.aspect.value == turn["aspect"]
            tally.add("aspect", right)
        if not right:
            got = reply.procedure_codes[:1] if reply.procedure_codes else []
            failures.append(f"{name} t{n + 1} [{turn['type']}] {turn[style]!r} -> {reply.kind} {got} "
                            f"{reply.aspect.value} verdict={getattr(reply, 'verdict', None)} want "
                            f"{turn['acceptable'][:2]} {turn['aspect']} {turn.get('verdict') or ''}")
        if reply.kind == "answer" and reply.procedure_codes:
            focus = reply.procedure_codes[0]
        elif reply.kind == "clarify":
            picked = next((c for c in reply.procedure_codes if c in acceptable), None)
            focus = picked or focus          # the citizen taps the right choice when it is offered
        aspect = reply.aspect


def ask_details(kb: Any, items: list[dict], style: str, tally: Tally, latencies: list[float],
                failures: list[str]) -> None:
    for item in items:
        started = time.perf_counter()
        reply = kb.respond(item[style], context_code=item["procedure"])
        latencies.append((time.perf_counter() - started) * 1000)
        stayed = reply.kind == "answer" and reply.procedure_codes[:1] == [item["procedure"]]
        right = stayed and verdict_right(reply, item["verdict"], item.get("evidence"))
        tally.add("detail_stayed", stayed)
        tally.add("detail_verdict", right)
        tally.add(f"detail:{item['verdict']}", right)
        if not right:
            failures.append(f"{item['id']} {item[style]!r} -> {reply.kind} {reply.procedure_codes[:1]} "
                            f"verdict={getattr(reply, 'verdict', None)} want {item['verdict']} "
                            f"{(item.get('evidence') or '')[:40]!r}")


ROWS = [("first reply on the right procedure", "first"), ("follow-up turns on the right procedure", "follow_up"),
        ("  … aspect follow-ups", "follow_up:aspect"), ("  … yes/no follow-ups", "follow_up:yes_no"),
        ("  … narrowing to a variant", "follow_up:narrow"), ("  … switch to another procedure", "follow_up:switch"),
        ("asked aspect answered", "aspect"), ("yes/no verdict right + passage quoted (dialogues)", "yes_no"),
        ("details: stayed on the procedure", "detail_stayed"),
        ("details: verdict right + passage quoted", "detail_verdict"),
        ("  … verdict yes", "detail:yes"), ("  … verdict no", "detail:no"), ("  … undecided", "detail:undecided")]


def evaluate(kb: Any, sets: dict[str, tuple[str, str]] = SETS, folder: Path = HERE,
             show_failures: bool = False) -> dict[str, dict[str, dict[str, float | None]]]:
    results: dict[str, dict[str, dict[str, float | None]]] = {}
    for set_name, (dialogues_file, details_file) in sets.items():
        dialogues = load_jsonl(folder / dialogues_file) if (folder / dialogues_file).is_file() else []
        details = load_jsonl(folder / details_file) if (folder / details_file).is_file() else []
        if not dialogues and not details:
            continue
        tallies = {style: Tally() for style in STYLES}
        latencies: list[float] = []
        failures: list[str] = []
        for style in STYLES:
            for d in dialogues:
                play_dialogue(kb, d["turns"], style, tallies[style], latencies, failures, d["id"])
            ask_details(kb, details, style, tallies[style], latencies, failures)
        print(f"\n== {set_name}: {len(dialogues)} dialogues ({sum(len(d['turns']) for d in dialogues)} turns), "
              f"{len(details)} detail questions ==")
        print(f"{'':52}" + "".join(f"{s:>22}" for s in STYLES))
        for label, key in ROWS:
            print(f"{label:52}" + "".join(f"{tallies[s].cell(key):>22}" for s in STYLES))
        print(f"chat latency ms: p50 {statistics.median(latencies):.1f}  p95 {percentile(latencies, 95):.1f}")
        if show_failures:
            print("\n".join(failures))
        results[set_name] = {s: {key: tallies[s].share(key) for _, key in ROWS} for s in STYLES}
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--failures", action="store_true", help="print every miss")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    from knowledge_base.service import KnowledgeBase
    kb = KnowledgeBase.load()
    results = evaluate(kb, show_failures=args.failures)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
