"""The canary's step loop: set a weight, let traffic flow for an interval, analyse, decide, record.

Where traffic is split and where state lives are behind two small protocols, so
the loop is the same for every traffic mode (replica ratio, Gateway API,
Istio) and testable without a cluster:

* :class:`Router` sets the canary's weight, promotes (stable takes the canary's
  version, the canary goes) and rolls back (weight to stable at once, canary to
  zero);
* :class:`StateStore` keeps :class:`CanaryState` where a re-run finds it (the
  canary Deployment's annotations in a cluster), so a killed run resumes at the
  recorded step and a second canary of the same app is refused.

Decisions, like Flagger's: a passing analysis advances (or pauses, when the
weight is in ``pause_at``); an inconclusive one holds the weight for another
interval, and ``max_holds`` holds in a row fail the canary; a failing one
counts towards ``threshold`` and rolls back when it is reached. Any error while
the canary is live (Prometheus unreachable, a query error) returns traffic to
stable before it propagates: an unobserved canary is not left serving.
The weight 100 is never analysed (stable would have no traffic to compare):
reaching it is the promotion.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Protocol

from pydantic import BaseModel, Field

from ..config.canary import CanarySection
from ..contracts.canary import CanaryDetails, StepRecord
from ..errors import ShipmlError, UsageError
from .analysis import Analyser


class Router(Protocol):
    """Splits traffic. ``set_weight`` may return the weight actually set (replica ratio rounds).

    A router may also have ``prepare(canary)``, called once the state check passed and before the
    first weight: the cluster routers create the canary Deployment there, never before the
    refusal of a second canary.
    """

    mode: str

    def set_weight(self, weight: int) -> int | None: ...

    def promote(self) -> None: ...

    def rollback(self) -> None: ...


class CanaryState(BaseModel):
    """What a re-run needs to continue: which canary, where it is, how it went so far."""

    canary: str = Field(description="Identity of the canary version (image digest or model version).")
    step: int = 0
    holds: int = 0
    failures: int = 0
    paused: bool = False
    started_at: str = ""
    log: list[StepRecord] = Field(default_factory=list)


class StateStore(Protocol):
    def load(self) -> CanaryState | None: ...

    def save(self, state: CanaryState) -> None: ...

    def clear(self) -> None: ...


class Controller:
    def __init__(
        self,
        cfg: CanarySection,
        router: Router,
        store: StateStore,
        analyser: Analyser,
        *,
        sleep: Callable[[float], None] = time.sleep,
        on_promote: Callable[[], None] | None = None,
    ) -> None:
        self.cfg = cfg
        self.router = router
        self.store = store
        self.analyser = analyser
        self._sleep = sleep
        self._on_promote = on_promote
        self.weights = cfg.weights()

    def _details(self, state: CanaryState, outcome: str, weight: int, failed: str | None) -> CanaryDetails:
        return CanaryDetails(
            app=self.cfg.app,
            outcome=outcome,
            final_weight=weight,
            failed_check=failed,
            steps=self.weights,
            interval_s=self.cfg.interval,
            mode=self.router.mode,
            log=state.log,
        )

    def _begin(self, canary: str, *, resume: bool) -> CanaryState:
        state = self.store.load()
        if state is None:
            return CanaryState(
                canary=canary, started_at=datetime.now(timezone.utc).isoformat(timespec="seconds")
            )
        at = self.weights[min(state.step, len(self.weights) - 1)]
        if state.canary != canary:
            raise UsageError(
                f"a canary of {self.cfg.app or 'this app'} ({state.canary}) is already in progress at "
                f"weight {at}%; refusing to start a second one ({canary})",
                hint="finish it with `shipml canary --resume`, or roll it back with `shipml canary --abort`",
            )
        if state.paused and not resume:
            raise UsageError(
                f"the canary {canary} is paused at weight {self.weights[state.step - 1]}%",
                hint="continue with `shipml canary --resume`, or roll back with `shipml canary --abort`",
            )
        state.paused = False
        return state

    def abort(self, canary: str) -> CanaryDetails:
        """Roll back a canary in progress on request (``--abort``)."""
        state = self.store.load() or CanaryState(canary=canary)
        self.router.rollback()
        self.store.clear()
        return self._details(state, "rolled-back", 0, "aborted")

    def run(self, canary: str, *, resume: bool = False) -> CanaryDetails:
        state = self._begin(canary, resume=resume)
        prepare = getattr(self.router, "prepare", None)
        if prepare is not None:
            prepare(canary)
        try:
            return self._loop(state)
        except ShipmlError:
            self.router.rollback()  # an unobserved canary does not keep its traffic
            self.store.clear()
            raise

    def _loop(self, state: CanaryState) -> CanaryDetails:
        last = len(self.weights) - 1
        while state.step < last:
            weight = self.weights[state.step]
            applied = self.router.set_weight(weight)
            self.store.save(state)
            self._sleep(self.cfg.interval)
            analysis = self.analyser.run()
            failed: str | None = None
            if analysis.outcome == "pass":
                state.holds = 0
                action = "pause" if weight in self.cfg.pause_at else "advance"
            elif analysis.outcome == "inconclusive":
                state.holds += 1
                action = "hold"
                if state.holds > self.cfg.max_holds:
                    action = "rollback"
                    failed = analysis.inconclusive[0].name if analysis.inconclusive else "inconclusive"
            else:
                state.failures += 1
                action = "rollback" if state.failures >= self.cfg.threshold else "retry"
                failed = analysis.failed[0].name
            state.log.append(
                StepRecord(
                    step=state.step,
                    weight=weight,
                    at=analysis.at,
                    outcome=analysis.outcome,
                    action=action,
                    checks=analysis.checks,
                    analysis_s=analysis.seconds,
                    applied_weight=None if applied in (None, weight) else applied,
                )
            )
            if action == "rollback":
                self.router.rollback()  # traffic first, then the record
                self.store.save(state)
                self.store.clear()
                return self._details(state, "rolled-back", 0, failed)
            if action in ("advance", "pause"):
                state.step += 1
            if action == "pause":
                state.paused = True
                self.store.save(state)
                return self._details(state, "paused", weight, None)
            self.store.save(state)
        self.router.promote()
        if self._on_promote is not None:
            self._on_promote()
        state.log.append(
            StepRecord(
                step=last,
                weight=100,
                at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                outcome="pass",
                action="promote",
            )
        )
        self.store.clear()
        return self._details(state, "promoted", 100, None)
