"""Quality beside price: benchmark scores with their provenance (who ran them, how, where it is
written), loaded like prices (a curated source, its own runs, raw payload kept), and the reads
that set them next to what a model costs: shared benchmarks, who is best, score per dollar."""
