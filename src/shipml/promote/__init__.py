"""Moving the ``champion`` alias safely: after a passed gate, never over a model the gate did not see.

The registry has no compare-and-swap on aliases, so promotion takes a short-lived
lock (:mod:`.lock`), re-checks the champion the gate compared against, and writes
in an order that a re-run after a crash can finish (:mod:`.promotion`). The tags
the gate leaves on a version, and how promote reads them back, live together in
:mod:`.decision`.
"""
