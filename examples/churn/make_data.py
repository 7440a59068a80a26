"""Generate the bundled churn example deterministically (no download, no network).

A telecom-style customer table whose churn label follows a known logistic model,
so a reasonable classifier reaches a ROC AUC around 0.8. ``new.csv`` is a later
batch in which monthly charges have risen (a real drift the validator must see)
while the rest of the population is unchanged.

    python examples/churn/make_data.py   # rewrites data/*.csv byte-for-byte
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

CONTRACTS = ["month-to-month", "one-year", "two-year"]
PAYMENTS = ["card", "bank-transfer", "electronic-check", "mailed-check"]
INTERNET = ["fiber", "dsl", "none"]
REGIONS = ["north", "south", "east", "west"]
COLUMNS = [
    "customer_id",
    "tenure_months",
    "monthly_charges",
    "total_charges",
    "contract",
    "payment_method",
    "internet_service",
    "support_calls",
    "senior",
    "region",
    "churned",
]


def customer(rng: random.Random, idx: int, charge_shift: float = 0.0) -> list[object]:
    contract = rng.choices(CONTRACTS, weights=[0.55, 0.25, 0.20])[0]
    tenure = max(1, int(rng.expovariate(1 / (12 if contract == "month-to-month" else 36))))
    tenure = min(tenure, 72)
    internet = rng.choices(INTERNET, weights=[0.45, 0.35, 0.20])[0]
    base = {"fiber": 80.0, "dsl": 55.0, "none": 25.0}[internet]
    monthly = round(max(18.0, rng.gauss(base + charge_shift, 12.0)), 2)
    total = round(monthly * tenure * rng.uniform(0.95, 1.05), 2)
    payment = rng.choice(PAYMENTS)
    calls = min(10, int(rng.expovariate(1 / 1.5)))
    senior = int(rng.random() < 0.16)
    region = rng.choice(REGIONS)
    logit = (
        -1.2
        + {"month-to-month": 1.3, "one-year": -0.2, "two-year": -1.4}[contract]
        - 0.045 * tenure
        + 0.022 * (monthly - 60)
        + 0.35 * calls
        + 0.4 * senior
        + (0.5 if payment == "electronic-check" else 0.0)
    )
    churned = int(rng.random() < 1 / (1 + math.exp(-logit)))
    return [
        f"C{idx:06d}",
        tenure,
        monthly,
        total,
        contract,
        payment,
        internet,
        calls,
        senior,
        region,
        churned,
    ]


def write(path: Path, rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def main() -> None:
    out = Path(__file__).parent / "data"
    out.mkdir(exist_ok=True)
    rng = random.Random(20261123)
    reference = [customer(rng, i) for i in range(6000)]
    new = [customer(rng, 6000 + i, charge_shift=9.0) for i in range(2000)]
    write(out / "reference.csv", reference)
    write(out / "new.csv", new)
    print(f"wrote {out}/reference.csv ({len(reference)} rows) and new.csv ({len(new)} rows)")


if __name__ == "__main__":
    main()
