"""Canary analysis and promotion (``canary:`` in shipml.yaml).

Queries are PromQL templates, like Flagger's MetricTemplates: ``$selector`` is
replaced by the track's label matchers (``app="churn",track="canary"``) and
``$window`` by the analysis window (the step's interval, e.g. ``30s``). The
built-in checks read the default server's metrics (docs/serve.md); users add
their own under ``checks`` (a labels-based accuracy query, a business metric).
"""

from __future__ import annotations

import itertools
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from .base import Section

PREDICT = 'route=~"/predict.*"'
REQUESTS = f"sum(increase(shipml_requests_total{{$selector,{PREDICT}}}[$window]))"
# ``or vector(0)``: a server that never failed may not export the server_error series at all.
SERVER_ERRORS = (
    f'(sum(rate(shipml_requests_total{{$selector,{PREDICT},outcome="server_error"}}[$window])) or vector(0))'
)
ALL_RATE = f"sum(rate(shipml_requests_total{{$selector,{PREDICT}}}[$window]))"
P99 = (
    "histogram_quantile(0.99, sum by (le) "
    f"(rate(shipml_request_duration_seconds_bucket{{$selector,{PREDICT}}}[$window])))"
)
SCORE_BUCKETS = "sum by (le) (increase(shipml_prediction_score_bucket{$selector}[$window]))"
CLASS_MIX = "sum by (class) (increase(shipml_predicted_class_total{$selector}[$window]))"


class CanaryCheck(Section):
    """One query judged on the canary against the stable track, through the shared rule judging."""

    name: str = Field(description="Short name, shown in the decision log and the failed-check output.")
    query: str = Field(
        description="PromQL instant query returning one value per track; `$selector` and `$window` are "
        "filled in per track and step."
    )
    higher_is_better: bool = Field(
        description="Direction of the metric (success rate: true; latency: false)."
    )
    minimum: float | None = Field(default=None, description="The canary's value must be at least this.")
    maximum: float | None = Field(default=None, description="The canary's value must be at most this.")
    max_regression: float | None = Field(
        default=None,
        description="The canary may be worse than stable by at most this (metric units, or a fraction of "
        "stable's value with relative: true).",
    )
    relative: bool = Field(default=False, description="max_regression is a fraction of stable's value.")
    regression_floor: float = Field(
        default=0.0,
        ge=0,
        description="Differences smaller than this are never a regression (the metric's resolution, e.g. "
        "the width of a latency bucket), so a relative check is not failed on noise.",
    )
    unit: str = Field(default="", description="Unit shown after values (s, %, ...).")

    @field_validator("name")
    @classmethod
    def _name_ok(cls, value: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]{0,62}", value):
            raise ValueError("use 1-63 lower-case letters, digits, '_', '.' or '-'")
        return value

    @field_validator("query")
    @classmethod
    def _query_ok(cls, value: str) -> str:
        if "$selector" not in value:
            raise ValueError("the query must contain $selector, or it cannot tell canary from stable")
        return value

    @model_validator(mode="after")
    def _has_clause(self) -> CanaryCheck:
        if self.minimum is None and self.maximum is None and self.max_regression is None:
            raise ValueError(f"check '{self.name}' sets none of minimum, maximum, max_regression")
        return self


def default_checks() -> list[CanaryCheck]:
    """Request success rate, p99 latency (absolute and ≤ 1.1 × stable), error rate ≤ stable + 1 point."""
    return [
        CanaryCheck(
            name="success-rate",
            query=f"1 - ({SERVER_ERRORS}) / ({ALL_RATE})",
            higher_is_better=True,
            minimum=0.99,
        ),
        CanaryCheck(
            name="error-rate",
            query=f"({SERVER_ERRORS}) / ({ALL_RATE})",
            higher_is_better=False,
            max_regression=0.01,
        ),
        CanaryCheck(
            name="latency-p99",
            query=P99,
            higher_is_better=False,
            maximum=0.5,
            max_regression=0.10,
            relative=True,
            # a step's p99 over a few dozen requests is close to its maximum: differences of a
            # few ms are scheduling noise on a shared node, not a slower model
            regression_floor=0.025,
            unit="s",
        ),
    ]


class ModelSignals(Section):
    """The canary's predictions against stable's over the same window: is it the model we meant?"""

    enabled: bool = Field(default=True, description="Judge the score distribution and the class mix.")
    psi_max: float = Field(
        default=0.2, gt=0, description="Largest population stability index of the score histogram."
    )
    js_max: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="Largest Jensen-Shannon divergence (base 2, 0..1) of the score histogram.",
    )
    class_mix_max: float = Field(
        default=0.1,
        gt=0,
        le=1,
        description="Largest total variation distance between the predicted-class shares.",
    )
    score_query: str = Field(
        default=SCORE_BUCKETS,
        description="Per-bucket (cumulative, by le) prediction-score counts over the window.",
    )
    class_query: str = Field(default=CLASS_MIX, description="Predicted rows per class over the window.")


class PrometheusSettings(Section):
    url: str = Field(default="http://127.0.0.1:9090", description="Prometheus (or compatible) base URL.")
    timeout: float = Field(default=10.0, gt=0, le=300, description="Seconds to wait for each query.")
    retries: int = Field(
        default=3, ge=0, le=20, description="Retries of a query that failed to reach or run."
    )
    backoff: float = Field(
        default=0.5, ge=0, le=60, description="First wait between retries in seconds; doubles each time."
    )


TrafficMode = Literal["replica-ratio", "gateway-api", "istio"]


class ClusterSettings(Section):
    """Where the canary runs and how its traffic is split (``canary.cluster``)."""

    mode: TrafficMode = Field(
        default="replica-ratio",
        description="replica-ratio: stable and canary Deployments behind one Service, weight = replica "
        "share; gateway-api: HTTPRoute backend weights; istio: VirtualService route weights.",
    )
    context: str | None = Field(default=None, description="kubeconfig context. Default: the current one.")
    namespace: str = Field(default="default", description="Namespace of the stable Deployment.")
    deployment: str = Field(
        default="",
        description="The stable Deployment (e.g. the one `shipml deploy` manages). Default: canary.app.",
    )
    container: str = Field(
        default="", description="Container whose image the canary replaces. Default: the first one."
    )
    replicas: int = Field(
        default=10,
        ge=2,
        le=1000,
        description="replica-ratio: stable + canary replicas. The canary gets round(replicas × weight / "
        "100), at least 1 and at most replicas − 1 while analysed, so the weight is a multiple of "
        "100 / replicas (the decision log records the weight actually set). Rollback and promotion give "
        "stable back the replica count it had when the canary began.",
    )
    route: str = Field(
        default="", description="gateway-api / istio: the HTTPRoute or VirtualService. Default: canary.app."
    )
    stable_service: str = Field(
        default="", description="gateway-api / istio: Service of the stable pods. Default: <app>-stable."
    )
    canary_service: str = Field(
        default="", description="gateway-api / istio: Service of the canary pods. Default: <app>-canary."
    )
    rollout_timeout: float = Field(
        default=300.0, gt=0, le=3600, description="Seconds to wait for stable's rollout at promotion."
    )
    promote_champion: bool = Field(
        default=False,
        description="On promotion, move the MLflow champion alias to --model-version through `shipml "
        "promote`'s rules (passed gate, unchanged champion), so registry and cluster agree.",
    )


class CanarySection(Section):
    app: str = Field(default="", description="Application label value of the stable and canary pods.")
    steps: list[int] | None = Field(
        default=None,
        description="Canary traffic weights in percent, increasing, ending at 100 (promotion). "
        "Default: from step_weight and max_weight.",
    )
    step_weight: int = Field(default=10, ge=1, le=100, description="Weight added per step (without steps).")
    max_weight: int = Field(
        default=50, ge=1, le=100, description="Last weight analysed before 100 (without steps)."
    )
    interval: int = Field(
        default=60,
        ge=1,
        le=86400,
        description="Seconds of traffic at a weight before it is analysed; also the queries' $window.",
    )
    min_requests: int = Field(
        default=100,
        ge=1,
        description="Prediction requests each track must have served in the window; fewer makes the step "
        "inconclusive (held for another interval), never judged on noise.",
    )
    max_holds: int = Field(
        default=3, ge=0, description="Inconclusive analyses in a row at one weight before the canary fails."
    )
    threshold: int = Field(
        default=1, ge=1, description="Failed analyses before rollback (Flagger's threshold)."
    )
    pause_at: list[int] = Field(
        default_factory=list, description="Weights after whose analysis the canary pauses for --resume."
    )
    track_label: str = Field(default="track", description="Pod label that tells stable from canary.")
    app_label: str = Field(default="app", description="Pod label holding the application name.")
    checks: list[CanaryCheck] = Field(
        default_factory=default_checks,
        description="Service checks (default: success-rate, error-rate, latency-p99); replace or extend.",
    )
    model_signals: ModelSignals = Field(default_factory=ModelSignals)
    prometheus: PrometheusSettings = Field(default_factory=PrometheusSettings)
    cluster: ClusterSettings = Field(default_factory=ClusterSettings)

    @model_validator(mode="after")
    def _steps_ok(self) -> CanarySection:
        weights = self.weights()
        if any(not 0 < w <= 100 for w in weights):
            raise ValueError(f"steps must be between 1 and 100, got {weights}")
        if any(b <= a for a, b in itertools.pairwise(weights)):
            raise ValueError(f"steps must be increasing, got {weights}")
        if weights[-1] != 100:
            raise ValueError(f"steps must end at 100 (promotion), got {weights}")
        unknown = sorted(set(self.pause_at) - set(weights))
        if unknown:
            raise ValueError(f"pause_at {unknown} is not one of the steps {weights}")
        names = [c.name for c in self.checks]
        if len(set(names)) != len(names):
            raise ValueError(f"check names must be unique, got {names}")
        return self

    def weights(self) -> list[int]:
        """The canary's weights, the last being 100."""
        if self.steps is not None:
            return list(self.steps) or [0]
        ladder = list(range(self.step_weight, self.max_weight + 1, self.step_weight))
        return [*ladder, 100] if not ladder or ladder[-1] != 100 else ladder

    @property
    def window(self) -> str:
        return f"{self.interval}s"

    def selector(self, track: Literal["stable", "canary"]) -> str:
        """PromQL label matchers of one track's pods."""
        parts = [f'{self.app_label}="{self.app}"'] if self.app else []
        return ",".join([*parts, f'{self.track_label}="{track}"'])
