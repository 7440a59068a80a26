"""Training a challenger from shipml.yaml and recording it in MLflow.

Split into small modules by concern so each rule (what a valid param is, how a
split is seeded, which tags make a run reproducible) lives in one place:
``estimator`` resolves what to fit, ``inputs`` checks the data, ``split``,
``pipeline`` and ``metrics`` do the modelling, ``lineage`` and ``mlflow_run``
record it, ``trainer`` runs the whole sequence. Nothing here is imported by the
CLI until ``shipml train`` runs, because it pulls in pandas, sklearn and MLflow.
"""
