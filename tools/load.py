"""Load: open-loop Poisson arrivals of chat messages at fixed rates, from realistic multi-turn conversations
(procedure questions, follow-ups, dossier lookups, chit-chat), over HTTP on 127.0.0.1 only, bounded in time.

    python -m tools.load [--rates 5,10,15,20,30] [--seconds 20] [--url http://127.0.0.1:8000 | --cluster]

Without --url it starts Rasa and the gateway on free ports (a temporary data folder) and stops them afterwards;
with --cluster, the cluster of `make run-cluster` (nginx, 2 gateways, 2 Rasa) on a scratch PostgreSQL database.
Prints per rate: offered and achieved throughput, p50/p95/p99 latency and errors, then the highest rate that kept
p95 ≤ 300 ms with no errors.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from scripts.cluster import Cluster, ClusterConfig, scratch_database
from scripts.stack import Stack, StackConfig, free_port
from settings import SETTINGS

TARGET_P95_MS = 300
CONVERSATIONS = [
    ["xin chào", "đăng ký khai sinh cần giấy tờ gì", "còn lệ phí thì sao", "cảm ơn em"],
    ["lam lai cccd bi mat can giay to gi", "mat bao lau", "nộp ở đâu"],
    ["phí đăng ký kết hôn bao nhiêu", "cần mang theo giấy tờ gì", "tạm biệt"],
    ["hồ sơ H45.22-231015-0012 của tôi tới đâu rồi", "1234"],
    ["làm hộ chiếu ở đâu", "bao lâu thì có", "em là người hay máy"],
    ["đăng ký tạm trú cần giấy tờ gì", "cho tôi hỏi lệ phí"],
    ["thời tiết hôm nay thế nào", "vậy đăng ký kinh doanh hộ cá thể cần gì"],
    ["chứng thực bản sao mất bao nhiêu tiền", "ở đâu làm"],
]


@dataclass
class Conversation:
    turns: list[str]
    sender_id: str | None = None
    step: int = 0
    busy: bool = False


@dataclass
class Result:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0


async def send(client: httpx.AsyncClient, conversation: Conversation, result: Result) -> None:
    text = conversation.turns[conversation.step % len(conversation.turns)]
    body = {"text": text, **({"sender_id": conversation.sender_id} if conversation.sender_id else {})}
    started = time.perf_counter()
    try:
        response = await client.post("/api/chat", json=body)
        if response.status_code == 200:
            conversation.sender_id = response.json()["sender_id"]
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
        else:
            result.errors += 1
    except httpx.HTTPError:
        result.errors += 1
    finally:
        conversation.step += 1
        conversation.busy = False


async def run_rate(url: str, rate: float, seconds: float, seed: int) -> tuple[Result, float]:
    rng = random.Random(seed)
    result = Result()
    pool: list[Conversation] = []
    tasks: list[asyncio.Task] = []
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=100)
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        started = time.perf_counter()
        next_at = started
        while next_at - started < seconds:
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            idle = [c for c in pool if not c.busy and c.step < len(c.turns)]
            conversation = rng.choice(idle) if idle and rng.random() < 0.8 else None
            if conversation is None:                              # a new citizen starts a conversation
                conversation = Conversation(list(rng.choice(CONVERSATIONS)))
                pool.append(conversation)
            conversation.busy = True
            tasks.append(asyncio.create_task(send(client, conversation, result)))
            next_at += rng.expovariate(rate)
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    return result, elapsed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))] if ordered else float("nan")


def report(rates: list[float], seconds: float, url: str) -> None:
    print(f"{'rate/s':>7} {'done/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>7}")
    best = None
    for n, rate in enumerate(rates):
        result, elapsed = asyncio.run(run_rate(url, rate, seconds, seed=n))
        lat = result.latencies_ms
        p95 = percentile(lat, 0.95)
        print(f"{rate:>7.1f} {len(lat) / elapsed:>7.1f} {statistics.median(lat) if lat else float('nan'):>8.0f} "
              f"{p95:>8.0f} {percentile(lat, 0.99):>8.0f} {result.errors:>7}", flush=True)
        if result.errors == 0 and p95 <= TARGET_P95_MS:
            best = rate
    print(f"highest rate with p95 ≤ {TARGET_P95_MS} ms and no errors: {best if best is not None else 'none'} msg/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rates", default="5,10,15,20,30")
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--url")
    parser.add_argument("--cluster", action="store_true", help="start nginx + 2 gateways + 2 Rasa and load them")
    parser.add_argument("--rasa-processes", type=int, default=SETTINGS.rasa_processes,
                        help="Rasa servers of the stack it starts (default: as make run)")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    if args.url:
        if urlsplit(args.url).hostname not in ("127.0.0.1", "localhost"):
            raise SystemExit("load runs against this machine only (127.0.0.1)")
        report(rates, args.seconds, args.url)
        return
    data = Path(tempfile.mkdtemp(prefix="tthc-load-"))
    unlimited = {"TTHC_CHAT_RATE_PER_MINUTE": "100000"}
    if args.cluster:
        with scratch_database() as database, \
                Cluster(ClusterConfig(port=free_port(), data_dir=data, database_url=database, env=unlimited)) as cluster:
            print(f"cluster on {cluster.config.url} (logs in {data / 'logs'})", flush=True)
            report(rates, args.seconds, cluster.config.url)
        return
    config = StackConfig(app_port=free_port(), rasa_ports=tuple(free_port() for _ in range(args.rasa_processes)),
                         data_dir=data, log_dir=data / "logs",
                         env=unlimited)
    with Stack(config) as stack:
        print(f"stack on {stack.config.app_url} (logs in {data / 'logs'})", flush=True)
        report(rates, args.seconds, stack.config.app_url)


if __name__ == "__main__":
    main()
