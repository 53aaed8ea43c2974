"""Ranking metrics for model selection: average precision (scikit-learn's) and card precision@k.

Card precision@k is the Fraud Detection Handbook's "card precision top-k" with the monitor's
conventions (services/monitor/README.md, "Card precision@k", computed there in ClickHouse): each UTC
day, the cards (customers) ranked by their highest score that day, ties by customer id; the share of
the top k that had at least one fraud that day (fewer cards than k: over those); the mean over days.
"""

from __future__ import annotations

import math

import numpy as np
from sklearn.metrics import average_precision_score

DAY_MS = 86_400_000


def card_precision_at_k(event_time: np.ndarray, customer: np.ndarray, y: np.ndarray, score: np.ndarray, k: int = 100) -> float:
    """event_time in ms since the epoch; customer ids (strings); y 0/1; score: higher = more suspicious."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    n = len(y)
    if not (len(event_time) == len(customer) == len(score) == n):
        raise ValueError("event_time, customer, y and score must have the same length")
    if n == 0:
        return math.nan
    day = np.asarray(event_time, dtype=np.int64) // DAY_MS
    # One entry per (day, customer): the highest score and whether any transaction was a fraud.
    keys = np.rec.fromarrays([day, np.asarray(customer).astype(str)], names="day,customer")
    unique, inverse = np.unique(keys, return_inverse=True)
    best = np.full(len(unique), -np.inf)
    np.maximum.at(best, inverse, np.asarray(score, dtype=np.float64))
    compromised = np.zeros(len(unique), dtype=np.int64)
    np.maximum.at(compromised, inverse, np.asarray(y, dtype=np.int64))
    shares = []
    for d in np.unique(unique["day"]):
        on_day = np.flatnonzero(unique["day"] == d)  # sorted by customer id (np.unique sorts)
        order = on_day[np.argsort(-best[on_day], kind="stable")][:k]  # stable: ties keep customer order
        shares.append(compromised[order].mean())
    return float(np.mean(shares))


def average_precision(y: np.ndarray, score: np.ndarray) -> float:
    return float(average_precision_score(y, score)) if 0 < int(np.sum(y)) < len(y) else math.nan
