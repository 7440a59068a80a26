"""The PR report: collect result files, compose one markdown report, fit it into a comment.

Kept free of MLflow, pandas and every other heavy import: ``shipml comment`` runs in
its own small job (often a separate ``workflow_run`` workflow) and must start fast.
"""
