"""Champion-vs-challenger statistics and decisions: pure numpy/scipy, no MLflow.

:mod:`.metrics` defines metrics that evaluate many bootstrap resamples at once,
:mod:`.stats` the paired tests (bootstrap, McNemar, DeLong, Holm), and
:mod:`.decision` turns rules plus predictions into per-rule outcomes and a verdict.
"""
