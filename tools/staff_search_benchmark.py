"""As-you-type latency of the staff console's search: every prefix (from 3 characters) of real questions sent to
`GET /api/staff/procedures/search` on a real gateway over HTTP, signed in as staff.

    python -m tools.staff_search_benchmark [--questions 40] [--styles natural,unaccented] [--url URL --user U --password P]

Without --url it starts the gateway in this process on a free port (SQLite in a temporary folder, Rasa not needed)
with a throw-away administrator. Prints p50/p95/max of the HTTP round trip and of the server's own search time.
"""
from __future__ import annotations

import json
import statistics
import time
from pathlib import Path

import httpx

from tools.local_gateway import tool_arguments, with_gateway

DEVSET = Path(__file__).resolve().parent / "evaluation" / "devset.jsonl"


def prefixes(text: str, shortest: int = 3) -> list[str]:
    return [text[:n] for n in range(shortest, len(text) + 1) if not text[:n].endswith(" ")]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run(url: str, user: str, password: str, questions: list[str]) -> None:
    round_trips: list[float] = []
    server_times: list[float] = []
    with httpx.Client(base_url=url, timeout=30) as client:
        login = client.post("/api/staff/login", json={"username": user, "password": password})
        login.raise_for_status()
        client.get("/api/staff/procedures/search", params={"q": "khai sinh"})          # warm-up
        for question in questions:
            for prefix in prefixes(question):
                started = time.perf_counter()
                response = client.get("/api/staff/procedures/search", params={"q": prefix, "limit": 20})
                round_trips.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()
                server_times.append(response.json()["took_ms"])
    print(f"{len(questions)} questions, {len(round_trips)} as-you-type requests (every prefix from 3 characters)")
    for label, values in (("HTTP round trip", round_trips), ("server search", server_times)):
        print(f"  {label:<16} p50 {statistics.median(values):6.1f} ms   p95 {percentile(values, 0.95):6.1f} ms   "
              f"max {max(values):6.1f} ms")


def main() -> None:
    parser = tool_arguments(__doc__.split("\n")[0])
    parser.add_argument("--questions", type=int, default=40)
    parser.add_argument("--styles", default="natural,unaccented")
    args = parser.parse_args()
    items = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines() if line.strip()]
    styles = args.styles.split(",")
    questions = [item[styles[n % len(styles)]] for n, item in enumerate(items[:args.questions])]
    with_gateway(args, run, questions)


if __name__ == "__main__":
    main()
