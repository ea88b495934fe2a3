"""Dense retrieval: faiss inner-product index over e5 passage embeddings of each procedure.

Passages are "name. field. level" (plus a short list of result/documents); vectors are
L2-normalised, so inner product = cosine. The vectors are computed once and cached in
`index_dir` under a key hashing the passages and the converted model's files, so a catalogue or
model change rebuilds them and nothing else does.
"""
from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from typing import Callable, Protocol, Sequence

import faiss
import numpy as np

from knowledge_base.catalogue.models import Procedure

log = logging.getLogger(__name__)


class EncoderLike(Protocol):
    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...
    def encode_passages(self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray: ...


def passage_text(proc: Procedure) -> str:
    """What the dense model sees of a procedure."""
    levels = ", ".join(proc.levels)
    parts = [proc.name.strip().rstrip("."), proc.field, levels]
    if proc.result:
        parts.append(f"Kết quả: {proc.result[:120]}")
    return ". ".join(p for p in parts if p)


_WHOLE_FILE = 32 << 20     # model files up to this size are hashed whole (config, tokenizer, conversion marker)
_SAMPLE = 1 << 20          # of a larger file (the weights, ~450 MiB): its size and 1 MiB at start, middle and end


def model_identity(model_dir: Path | str) -> bytes:
    """Digest of the converted model folder as the conversion wrote it: every file's path and size, the small
    files whole, the weights by samples (their start is the safetensors header: every tensor's name, dtype, shape
    and offset). ~30 ms, where hashing the weights whole would add ~0.5 s to every start. A missing folder (fake
    encoders in tests) hashes as empty."""
    root = Path(model_dir)
    h = hashlib.sha1()
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
    for path in files:
        size = path.stat().st_size
        h.update(f"{path.relative_to(root).as_posix()}\0{size}\0".encode())
        with path.open("rb") as fh:
            if size <= _WHOLE_FILE:
                h.update(fh.read())
                continue
            for offset in (0, size // 2, size - _SAMPLE):
                fh.seek(offset)
                h.update(fh.read(_SAMPLE))
    return h.digest()


def cache_key(passages: Sequence[str], model_dir: Path | str) -> str:
    """Key of the vectors of `passages` embedded by the model in `model_dir`: changes with either."""
    h = hashlib.sha1()
    h.update(str(Path(model_dir).name).encode())
    h.update(model_identity(model_dir))
    for p in passages:
        h.update(p.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]


def cached_vectors(kind: str, texts: Sequence[str], encode: Callable[[list[str]], np.ndarray],
                   index_dir: Path, model_dir: Path | str) -> tuple[np.ndarray, float]:
    """Embeddings of `texts`, cached in `index_dir` as `<kind>-<key>.npy`; (vectors, seconds spent
    embedding, 0 when loaded from cache)."""
    path = Path(index_dir) / f"{kind}-{cache_key(texts, model_dir)}.npy"
    if path.is_file():
        vectors = np.load(path)
        if vectors.shape[0] == len(texts):
            log.info("%s vectors loaded from %s", kind, path)
            return vectors, 0.0
    started = time.perf_counter()
    vectors = np.asarray(encode(list(texts)), dtype=np.float32)
    took = time.perf_counter() - started
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp.npy")
    np.save(tmp, vectors)
    tmp.replace(path)
    log.info("%s vectors built: %d texts in %.1f s -> %s", kind, len(texts), took, path)
    return vectors, took


class DenseIndex:
    def __init__(self, vectors: np.ndarray):
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.index = faiss.IndexFlatIP(self.vectors.shape[1])
        self.index.add(self.vectors)

    @property
    def size(self) -> int:
        return self.index.ntotal

    @classmethod
    def build_or_load(cls, passages: Sequence[str], encoder: EncoderLike, index_dir: Path,
                      model_dir: Path | str, show_progress: bool = False) -> tuple["DenseIndex", float]:
        """(index, seconds spent embedding; 0 when loaded from cache)."""
        vectors, took = cached_vectors(
            "dense", passages, lambda texts: encoder.encode_passages(texts, batch_size=64, show_progress=show_progress),
            index_dir, model_dir)
        return cls(vectors), took

    def search(self, query_vec: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(cosines, doc ids) of the k nearest passages."""
        k = min(k, self.size)
        scores, ids = self.index.search(np.asarray(query_vec, dtype=np.float32).reshape(1, -1), k)
        return scores[0], ids[0]

    def scores_for(self, query_vec: np.ndarray, ids: np.ndarray) -> np.ndarray:
        """Cosine of the query with the given docs."""
        return self.vectors[ids] @ np.asarray(query_vec, dtype=np.float32).ravel()
