"""Does teaching generalise? Replays a held-out list of questions against the staff search over HTTP, teaches
half of the misses through `POST /api/staff/examples` (their natural wording, labelled with their acceptable
procedures), then prints top-1 before and after:

* taught, same words        — memorisation (the taught question itself)
* taught, other wordings    — generalisation: the same questions typed without accents and abbreviated
* not taught (other half)   — other questions that were missed; teaching must not be what fixes them
* all others                — questions that were not taught: teaching must not break them

    python -m tools.teaching_benchmark [--set heldout] [--url URL --user U --password P]
"""
from __future__ import annotations

import json
from pathlib import Path

import httpx

from tools.local_gateway import tool_arguments, with_gateway

EVALUATION = Path(__file__).resolve().parent / "evaluation"
STYLES = ("natural", "unaccented", "abbreviated")


def top1(client: httpx.Client, question: str) -> str | None:
    results = client.get("/api/staff/procedures/search", params={"q": question, "limit": 1}).json()["results"]
    return results[0]["code"] if results else None


def hits(client: httpx.Client, items: list[dict], styles: tuple[str, ...]) -> tuple[int, int]:
    right = sum(top1(client, item[s]) in item["acceptable"] for item in items for s in styles)
    return right, len(items) * len(styles)


def run(url: str, user: str, password: str, items: list[dict]) -> None:
    with httpx.Client(base_url=url, timeout=60) as client:
        login = client.post("/api/staff/login", json={"username": user, "password": password})
        login.raise_for_status()
        client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        missed = [item for item in items if top1(client, item["natural"]) not in item["acceptable"]]
        taught, held = missed[0::2], missed[1::2]
        others = [item for item in items if item not in taught]
        rows = [("taught, same words", taught, ("natural",)), ("taught, other wordings", taught, STYLES[1:]),
                ("not taught (other half)", held, STYLES), ("all not taught", others, STYLES)]
        before = {name: hits(client, group, styles) for name, group, styles in rows}
        for item in taught:
            response = client.post("/api/staff/examples", json={"question": item["natural"],
                                                               "codes": item["acceptable"][:5]})
            response.raise_for_status()
        after = {name: hits(client, group, styles) for name, group, styles in rows}
    print(f"{len(items)} questions, {len(missed)} missed at top-1 (natural); taught {len(taught)}, held back "
          f"{len(held)}")
    print(f"  {'':<26}{'before':>16}{'after':>16}")
    for name, _, _ in rows:
        (b, n), (a, _) = before[name], after[name]
        print(f"  {name:<26}{b:>5}/{n:<4} {b / max(n, 1):5.3f}{a:>5}/{n:<4} {a / max(n, 1):5.3f}")


def main() -> None:
    parser = tool_arguments(__doc__.split("\n")[0])
    parser.add_argument("--set", default="heldout", help="question set in tools/evaluation (heldout, blind, devset)")
    args = parser.parse_args()
    path = EVALUATION / f"{args.set}.jsonl"
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    with_gateway(args, run, items)


if __name__ == "__main__":
    main()
