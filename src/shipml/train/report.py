"""The one-line summary and the markdown fragment for the job summary and PR comment.

Only the metrics a reviewer compares (test split first) go in the headline; the
full table follows, and the run is linked when an MLflow UI is known.
"""

from __future__ import annotations

from ..contracts.train import TrainDetails

HEADLINE = {"classification": ("roc_auc", "accuracy", "f1"), "regression": ("rmse", "mae", "r2")}


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def headline(details: TrainDetails) -> str:
    test = details.metrics.test
    shown = [f"{name} {test[name]:.4f}" for name in HEADLINE[details.task] if name in test]
    return ", ".join(shown)


def summary(details: TrainDetails) -> str:
    return (
        f"{details.estimator} trained; test {headline(details) or 'no metrics'}; "
        f"registered {details.registered_model} v{details.model_version} as @{details.alias}"
    )


def markdown(details: TrainDetails) -> str:
    metrics = details.metrics
    splits = [(s, getattr(metrics, s)) for s in ("train", "val", "test") if getattr(metrics, s)]
    names: list[str] = []
    for _, values in splits:
        names += [n for n in values if n not in names]
    header = "| metric | " + " | ".join(f"{s} ({details.rows.get(s, 0)} rows)" for s, _ in splits) + " |"
    rule = "|---|" + "---:|" * len(splits)
    rows = [f"| {n} | " + " | ".join(_fmt(v.get(n)) for _, v in splits) + " |" for n in names]
    run = f"[{details.run_id}]({details.run_url})" if details.run_url else f"`{details.run_id}`"
    lines = [
        "### shipml train",
        "",
        f"**{details.estimator}** ({details.task}, target `{details.target}`, "
        f"{len(details.features)} features) registered as "
        f"**{details.registered_model} v{details.model_version}** with alias `@{details.alias}`.",
        "",
        header,
        rule,
        *rows,
        "",
    ]
    if metrics.cv:
        cv = ", ".join(
            f"{k[:-5]} {metrics.cv[k]:.4f} ± {metrics.cv.get(k[:-5] + '_std', 0.0):.4f}"
            for k in metrics.cv
            if k.endswith("_mean")
        )
        lines += [f"Cross-validation: {cv}", ""]
    lines.append(
        f"MLflow run {run} · model `{details.model_uri}` · commit `{(details.git_sha or 'unknown')[:12]}`"
    )
    return "\n".join(lines) + "\n"
