"""Puts the trainer's modules on the path (train.py runs as a script from its own folder) and offers
a synthetic dataset in the trainer's CSV format."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

TRAINER = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TRAINER))

DAY_MS = 86_400_000
START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z


def synthetic(days: int = 35, per_day: int = 120, customers: int = 60, features: int = 6, seed: int = 1, kind: str = "xor"):
    """Rows spread over `days`, frauds labelled 2 days after the transaction and genuines 10 days after
    (so label_time, not event_time, decides what a fold may train on). kind "xor": fraud when features 0
    and 1 are both beyond ±0.7 with opposite signs (about 12 %), which trees learn and a linear model
    cannot; about 20 % NaN in the
    other features."""
    rng = np.random.default_rng(seed)
    n = days * per_day
    event_time = np.sort(START_MS + rng.integers(0, days * DAY_MS, size=n))
    X = rng.normal(size=(n, features)).astype(np.float32)
    if kind == "xor":
        y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)) & (np.abs(X[:, 0]) > 0.7) & (np.abs(X[:, 1]) > 0.7)
    else:
        raise ValueError(kind)
    y = (y ^ (rng.random(n) < 0.01)).astype(np.int8)  # 1 % of labels flipped
    X[:, 2:][rng.random((n, features - 2)) < 0.2] = np.nan
    label_time = event_time + np.where(y == 1, 2 * DAY_MS, 10 * DAY_MS)
    customer = np.array([f"c{i:03d}" for i in rng.integers(0, customers, size=n)])
    return event_time, label_time, customer, y, X


def write_csv(path: Path, event_time, label_time, customer, y, X, with_customer: bool = True) -> Path:
    names = [f"f{i}" for i in range(X.shape[1])]
    with path.open("w") as f:
        f.write(",".join(["event_id", "event_time", "is_fraud", "label_time"] + (["customer_id"] if with_customer else []) + names) + "\n")
        for i in range(len(y)):
            cells = ["" if np.isnan(v) else repr(float(v)) for v in X[i]]
            keys = [f"e{i}", str(int(event_time[i])), str(int(y[i])), str(int(label_time[i]))] + ([customer[i]] if with_customer else [])
            f.write(",".join(keys + cells) + "\n")
    return path
