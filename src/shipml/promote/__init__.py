"""Moving the ``champion`` alias safely: after a passed gate, never over a model the gate did not see.

The registry has no compare-and-swap on aliases, so promotion takes the registry
lock (:mod:`shipml.mlflow_api.lock`), re-checks the champion the gate compared
against, fences the move (lock still ours, champion unchanged, before and after)
and writes in an order a re-run after a crash can finish (:mod:`.promotion`).
The gate decision it acts on is read back by :mod:`.gate_decision`.
"""
