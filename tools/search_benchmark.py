"""Search latency, throughput, build time and memory at the real catalogue size and at 100k.

    python -m tools.search_benchmark [--queries 300] [--clients 8] [--scale 100000] [--no-dense]

Queries are the dev-set questions (all three styles, interleaved) plus the out-of-scope lines,
each run once per measurement. The 100k catalogue is a synthetic scale-up of the real one:
every real procedure recombined with a locality suffix ("... tại Phường 12, Quận Hà Đông")
under a distinct code. Embedding 100k passages with e5 on this CPU would take hours, so at
100k the dense vectors are the real passages' vectors plus small Gaussian noise
(re-normalised): the faiss search cost is real, the vectors are not. The diacritic restorer at
100k is the one trained on the real catalogue (its training corpus is catalogue text).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import os
import resource
import sys
import threading
import time
from pathlib import Path

import numpy as np

EVALUATION = Path(__file__).resolve().parent / "evaluation"     # the question sets

LOCALITIES = [
    "Phường Bến Nghé", "Phường Hàng Bạc", "Xã Tân Phú", "Phường 12", "Xã Hòa Bình", "Thị trấn Đông Anh",
    "Quận Hà Đông", "Huyện Củ Chi", "Thành phố Thủ Đức", "Tỉnh Nghệ An", "Tỉnh Lâm Đồng", "Tỉnh Cà Mau",
    "Thành phố Đà Nẵng", "Tỉnh Quảng Ninh", "Xã Phước Kiển", "Phường Vĩnh Hải", "Huyện Mê Linh",
    "Tỉnh Bắc Ninh", "Tỉnh An Giang", "Phường Cầu Kho", "Xã Ea Tu", "Huyện Sa Pa", "Tỉnh Gia Lai",
    "Quận Ninh Kiều", "Phường Trúc Bạch", "Xã Tam Hiệp", "Tỉnh Thái Bình", "Huyện Côn Đảo",
    "Tỉnh Kon Tum", "Phường Tân Định", "Xã Long Hòa", "Thành phố Huế", "Tỉnh Sóc Trăng",
    "Huyện Lý Sơn", "Phường Mỹ An", "Xã Đồng Tâm", "Tỉnh Hà Giang", "Phường Láng Hạ",
]


def rss_mb() -> float:
    """Current resident set size of this process in MB."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_queries(limit: int) -> list[str]:
    dev = [json.loads(x) for x in (EVALUATION / "devset.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    queries = [d[s] for d in dev for s in ("natural", "unaccented", "abbreviated")]
    oos_path = EVALUATION / "out_of_scope.jsonl"
    if oos_path.is_file():
        queries += [json.loads(x)["text"] for x in oos_path.read_text(encoding="utf-8").splitlines() if x.strip()]
    if limit and len(queries) > limit:
        step = len(queries) / limit
        queries = [queries[int(i * step)] for i in range(limit)]
    return queries


def scale_up(procedures, size: int):
    """Synthetic catalogue of `size` procedures built from the real ones (distinct codes)."""
    out = []
    n = len(procedures)
    for i in range(size):
        base = procedures[i % n]
        if i < n:
            out.append(base)
            continue
        loc = LOCALITIES[(i // n) % len(LOCALITIES)]
        extra = LOCALITIES[(i // (n * len(LOCALITIES))) % len(LOCALITIES)]
        suffix = f" tại {loc}" if i // (n * len(LOCALITIES)) == 0 else f" tại {loc}, {extra}"
        out.append(dataclasses.replace(base, code=f"{base.code}-{i}", name=base.name.rstrip(". ") + suffix))
    return out


def measure(engine, queries: list[str], clients: int) -> dict[str, float]:
    """Per-request latency percentiles (ms) and throughput (queries/s) with `clients` threads."""
    latencies: list[float] = []
    lock = threading.Lock()
    cursor = iter(range(len(queries)))

    def worker() -> None:
        while True:
            with lock:
                i = next(cursor, None)
            if i is None:
                return
            t0 = time.perf_counter()
            engine.search(queries[i], limit=5)
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(dt)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {"p50": float(np.percentile(latencies, 50)), "p95": float(np.percentile(latencies, 95)),
            "max": float(max(latencies)), "qps": len(latencies) / wall}


def measure_both(engine, queries: list[str], clients: int) -> tuple[dict, dict]:
    """(sequential, concurrent) latency stats after a short warm-up."""
    for q in queries[:5]:
        engine.search(q)
    return measure(engine, queries, 1), measure(engine, queries, clients)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--queries", type=int, default=300, help="queries per measurement (0 = all)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--scale", type=int, default=100_000, help="synthetic catalogue size (0 = skip)")
    parser.add_argument("--no-dense", action="store_true")
    parser.add_argument("--noise", type=float, default=0.02, help="std of the noise added to reused vectors")
    args = parser.parse_args(argv)

    from settings import SETTINGS
    from knowledge_base.search.dense import DenseIndex
    from knowledge_base.search.engine import SearchEngine
    from knowledge_base.service import load_encoder, load_procedures

    settings = dataclasses.replace(SETTINGS, use_dense=False) if args.no_dense else SETTINGS
    queries = load_queries(args.queries)
    rows = []

    # ------------------------------------------------------------------ real catalogue
    rss0 = rss_mb()
    procedures = load_procedures(settings)
    encoder = load_encoder(settings)
    rss_model = rss_mb()
    t0 = time.perf_counter()
    engine = SearchEngine.build(procedures, settings.index_dir, encoder=encoder,
                                model_dir=settings.embedding_model_dir)
    build_real = time.perf_counter() - t0
    rss_real = rss_mb()
    rows.append((f"{len(procedures):,} (real)", build_real, engine.lexical_build_seconds, rss_real - rss_model,
                 rss_real, *measure_both(engine, queries, args.clients)))
    dense_note = "on" if engine.dense is not None else "off"

    # ------------------------------------------------------------------ synthetic scale-up
    if args.scale and args.scale > len(procedures):
        big = scale_up(procedures, args.scale)
        rss_before = rss_mb()
        t0 = time.perf_counter()
        big_engine = SearchEngine(big, engine.restorer, engine.lexicon, None, None, engine.config)
        if engine.dense is not None:
            rng = np.random.default_rng(0)
            base = engine.dense.vectors
            vecs = base[np.arange(len(big)) % len(base)] + rng.normal(0, args.noise, (len(big), base.shape[1]))
            vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
            big_engine.dense, big_engine.encoder = DenseIndex(vecs), engine.encoder
        build_big = time.perf_counter() - t0
        rss_big = rss_mb()
        rows.append((f"{len(big):,} (synthetic)", build_big, big_engine.lexical_build_seconds,
                     rss_big - rss_before, rss_big, *measure_both(big_engine, queries, args.clients)))

    print(f"Search benchmark: {len(queries)} queries per run (dev questions, 3 styles + out-of-scope); "
          f"dense: {dense_note}; machine: {os.cpu_count()} cores, load avg {os.getloadavg()[0]:.1f}")
    if len(rows) > 1 and engine.dense is not None:
        print(f"At {rows[1][0]}: dense vectors = real passage vectors + N(0, {args.noise}) noise, re-normalised "
              f"(not re-embedded); restorer trained on the real catalogue.")
    print()
    head = (f"{'catalogue':<22}{'build s':>9}{'lexical s':>10}{'index MB':>10}{'RSS MB':>9}"
            f"{'seq p50':>9}{'seq p95':>9}{'qps':>7}{f'{args.clients}x p50':>9}{f'{args.clients}x p95':>9}{'qps':>7}")
    print(head)
    for name, build, lex_s, idx_mb, rss, seq, conc in rows:
        print(f"{name:<22}{build:>9.1f}{lex_s:>10.1f}{idx_mb:>10.0f}{rss:>9.0f}"
              f"{seq['p50']:>9.1f}{seq['p95']:>9.1f}{seq['qps']:>7.1f}{conc['p50']:>9.1f}{conc['p95']:>9.1f}"
              f"{conc['qps']:>7.1f}")
    print()
    print("latencies in ms per search (end to end: analysis + lexical + dense + fusion); build s = engine "
          "construction (restorer cache load or training, lexical indexes, dense vectors load/embedding); "
          "index MB = RSS growth during that build.")
    print(f"process RSS before loading anything: {rss0:.0f} MB; after loading the encoder: {rss_model:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
