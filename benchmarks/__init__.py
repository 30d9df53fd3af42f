"""dealernet's benchmark suite: ``python -m benchmarks`` (``--quick`` for a smoke run).

Synthetic networks and population points at several sizes from one seed
(:mod:`benchmarks.synthetic`), measured stage by stage and against peers
(:mod:`benchmarks.cases`), printed as one table with each target and PASS / MISS
(:mod:`benchmarks.runner`). Wall time and peak RSS are measured by
:mod:`benchmarks.measure`.
"""
