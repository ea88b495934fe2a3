"""Time to read one phone photo of an appointment slip: 12 MP JPEGs (4000×3000, quality 85 as phones save them),
decoded at half scale, read for QR codes and barcodes, then the print when no symbol carries a code.

    python -m tools.slip_benchmark [--per-kind 10] [--seed 7] [--size 4000x3000]

Prints p50/p95/max wall-clock seconds per kind (QR code, barcode, print only) and over all photos, and the CPU
seconds the process spent per photo (what the wall clock would be on an idle core); the target is p95 ≤ 1 s on the
2-core machine. The load average is printed first: other work on the machine stretches the wall clock."""
from __future__ import annotations

import os
import random
import time

from dossiers.slips.reader import SlipReader
from tools.slip_photos import KINDS, SlipPhoto, photo_arguments, photograph, random_code, render_slip
from tools.staff_search_benchmark import percentile


def phone_photos(per_kind: int, seed: int, size: tuple[int, int]) -> list[SlipPhoto]:
    rng = random.Random(seed)
    photos = []
    for kind in KINDS:
        for _ in range(per_kind):
            code = random_code(rng)
            photos.append(SlipPhoto(kind, code, photograph(render_slip(kind, code, rng), rng, size, quality=85)))
    return photos


def line(label: str, seconds: list[float], cpu: list[float], right: int) -> str:
    return (f"{label:<8} n={len(seconds):<3} read right {right:>3}  p50 {percentile(seconds, 0.5):.2f} s  "
            f"p95 {percentile(seconds, 0.95):.2f} s  max {max(seconds):.2f} s  |  CPU p50 "
            f"{percentile(cpu, 0.5):.2f} s  p95 {percentile(cpu, 0.95):.2f} s")


def main() -> None:
    args, (width, height) = photo_arguments(__doc__, per_kind=10, seed=7, size="4000x3000")
    photos = phone_photos(args.per_kind, args.seed, (width, height))
    print(f"{len(photos)} photos of {width}×{height} ({width * height / 1e6:.0f} MP), "
          f"{sum(len(p.jpeg) for p in photos) / len(photos) / 1e6:.1f} MB each on average")
    print("load average (1, 5, 15 min): " + ", ".join(f"{v:.1f}" for v in os.getloadavg()))
    reader = SlipReader()
    reader.read(photos[0].jpeg)                                   # warm-up: Tesseract's data in the page cache
    everything: list[float] = []
    everything_cpu: list[float] = []
    right_total = 0
    for kind in KINDS:
        seconds, cpu, right = [], [], 0
        for photo in (p for p in photos if p.kind == kind):
            started, started_cpu = time.perf_counter(), time.process_time()
            right += reader.read(photo.jpeg).code == photo.code
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
        print(line(kind, seconds, cpu, right))
        everything += seconds
        everything_cpu += cpu
        right_total += right
    print(line("all", everything, everything_cpu, right_total))
    reader.close()


if __name__ == "__main__":
    main()
