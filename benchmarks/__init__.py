"""dealernet's benchmark suite: ``python -m benchmarks`` (``--quick`` for a smoke run).

Networks from the package's sample generator at any scale and population points from one
seed (:mod:`benchmarks.synthetic`), measured stage by stage and against peers, in turn
(:mod:`benchmarks.cases`, :mod:`benchmarks.market_cases`), issue 19's targets
(:mod:`benchmarks.targets`), printed as one table with each target and PASS / MISS
(:mod:`benchmarks.runner`, rows in :mod:`benchmarks.row`). Wall time, peak memory (a child's
its own) and alternated comparisons are taken by :mod:`benchmarks.measure`.
"""
