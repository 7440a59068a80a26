"""MLflow through one adapter: where the store is, a client that retries overload, errors by cause.

The same shape as :mod:`shipml.github_api`: :mod:`.store` finds the tracking URI
(no MLflow import), :mod:`.client` proves it answers, connects, retries overload
and translates every MLflow error into one line with the exit code of its cause
(:func:`.client.calling`), :mod:`.registry` reads and writes aliases and version
tags, and :mod:`.lock` is the promotion lock with a renewed, verifiable lease.
Capabilities (train, gate, promote) import this package, never each other.
"""
