"""Does teaching generalise, and what else does it move? Replays the evaluation sets against the staff search over
HTTP, teaches half of one set's misses through `POST /api/staff/examples` (their natural wording, labelled with their
acceptable procedures), then prints top-1 before and after:

* taught, same words         — memorisation (the taught question itself)
* taught, other styles       — the same questions typed without accents and abbreviated
* other questions, same      — questions of every set, not taught, about a procedure a taught question is about:
  procedure                    written by someone else in other words, they show whether teaching generalises
* not taught (other half)    — the set's other misses about other procedures: teaching must not be what fixes them
* others, per set            — every other question of each set (dev, held-out, blind): teaching must not move them

    python -m tools.teaching_benchmark [--set heldout] [--url URL --user U --password P]
"""
from __future__ import annotations

import json
from pathlib import Path

import httpx

from tools.local_gateway import tool_arguments, with_gateway

EVALUATION = Path(__file__).resolve().parent / "evaluation"
SETS = ("devset", "heldout", "blind")
STYLES = ("natural", "unaccented", "abbreviated")


def load(name: str) -> list[dict]:
    path = EVALUATION / f"{name}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def top1(client: httpx.Client, question: str) -> str | None:
    results = client.get("/api/staff/procedures/search", params={"q": question, "limit": 1}).json()["results"]
    return results[0]["code"] if results else None


def hits(client: httpx.Client, items: list[dict], styles: tuple[str, ...]) -> tuple[int, int]:
    right = sum(top1(client, item[s]) in item["acceptable"] for item in items for s in styles)
    return right, len(items) * len(styles)


def run(url: str, user: str, password: str, taught_set: str) -> None:
    sets = {name: load(name) for name in SETS}
    with httpx.Client(base_url=url, timeout=60) as client:
        login = client.post("/api/staff/login", json={"username": user, "password": password})
        login.raise_for_status()
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        missed = [item for item in sets[taught_set] if top1(client, item["natural"]) not in item["acceptable"]]
        taught = missed[0::2]
        codes = {c for item in taught for c in item["acceptable"]}
        about = [item for items in sets.values() for item in items
                 if item not in taught and set(item["acceptable"]) & codes]
        held = [item for item in missed[1::2] if item not in about]
        rows = [("taught, same words", taught, ("natural",)), ("taught, other styles", taught, STYLES[1:]),
                ("other questions, same proc.", about, STYLES), ("not taught (other half)", held, STYLES)]
        rows += [(f"others in {name}", [i for i in items if i not in taught and i not in about], STYLES)
                 for name, items in sets.items()]
        before = {name: hits(client, group, styles) for name, group, styles in rows}
        for item in taught:
            response = client.post("/api/staff/examples", json={"question": item["natural"],
                                                               "codes": item["acceptable"][:5]})
            response.raise_for_status()
        after = {name: hits(client, group, styles) for name, group, styles in rows}
    print(f"{taught_set}: {len(sets[taught_set])} questions, {len(missed)} missed at top-1 (natural); taught "
          f"{len(taught)}; {len(about)} other questions (all sets) about a taught procedure")
    print(f"  {'':<30}{'before':>16}{'after':>16}{'change':>9}")
    for name, _, _ in rows:
        (b, n), (a, _) = before[name], after[name]
        print(f"  {name:<30}{b:>5}/{n:<4} {b / max(n, 1):5.3f}{a:>5}/{n:<4} {a / max(n, 1):5.3f}"
              f"{(a - b) / max(n, 1) * 100:+8.1f}")


def main() -> None:
    parser = tool_arguments(__doc__.split("\n")[0])
    parser.add_argument("--set", default="heldout", choices=SETS, help="the set whose misses are taught")
    args = parser.parse_args()
    with_gateway(args, run, args.set)


if __name__ == "__main__":
    main()
