"""The build layer: what changed, reuse, workers, shards and the atomic commit of ``output/``."""
