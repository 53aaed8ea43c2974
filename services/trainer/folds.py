"""Prequential (time-ordered, expanding-window) validation folds that respect the label delay.

The last `n_folds` windows of `fold_days` whole UTC days before the end validate, one fold each,
oldest first; the end is the midnight after the last event, or `end` (a UTC midnight) for data
whose newest labels are not all in yet (a retraining export with the labels known at its cut-off
holds only frauds for the last weeks: genuines are confirmed about a month late), so that the
validation rows carry final labels. The fold validating
[d, d + fold_days) validates on the rows whose event_time is in that window (with their eventual
labels) and trains on every row whose label was known before d: label_time < d. event_time < d is
not enough: a transaction of the day before d whose label came a week later was not a labelled row
at d. Training windows expand: each fold trains on a superset of the previous fold's rows.

Validation windows are a week long when the data spans at least (n_folds + 1) weeks; otherwise
they shrink to floor(span / (n_folds + 1)) days, so that at least one window's span precedes the
first fold. Every fold must train and validate on both classes, or FoldError says which and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from ranking_metrics import DAY_MS


class FoldError(ValueError):
    """The data cannot make the folds asked for (too short, or a fold without frauds or genuines)."""


@dataclass(frozen=True)
class Fold:
    index: int
    valid_from: int  # ms since the epoch, inclusive
    valid_to: int  # exclusive
    train: np.ndarray  # boolean masks over the rows
    valid: np.ndarray

    def describe(self) -> dict:
        return {
            "fold": self.index,
            "valid_from": iso_ms(self.valid_from),
            "valid_to": iso_ms(self.valid_to),
            "train_rule": f"label_time < {iso_ms(self.valid_from)}",
            "train_rows": int(self.train.sum()),
            "valid_rows": int(self.valid.sum()),
        }


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def prequential_folds(
    event_time: np.ndarray, label_time: np.ndarray, y: np.ndarray, n_folds: int, fold_days: int = 7, end: int | None = None
) -> list[Fold]:
    if n_folds < 1:
        raise FoldError(f"need at least one fold, got {n_folds}")
    if len(event_time) == 0:
        raise FoldError("no rows to make folds from")
    event_time = np.asarray(event_time, dtype=np.int64)
    label_time = np.asarray(label_time, dtype=np.int64)
    first_day = int(event_time.min()) // DAY_MS * DAY_MS
    last = (int(event_time.max()) // DAY_MS + 1) * DAY_MS
    if end is None:
        end = last
    elif end % DAY_MS != 0 or not first_day < end <= last:
        raise FoldError(f"the folds' end {iso_ms(end)} must be a UTC midnight after {iso_ms(first_day)} and at most {iso_ms(last)}")
    span_days = (end - first_day) // DAY_MS
    days = min(fold_days, span_days // (n_folds + 1))
    if days < 1:
        raise FoldError(f"{span_days} days of data cannot make {n_folds} validation windows after a training window")
    folds = []
    for i in range(n_folds):
        valid_from = end - (n_folds - i) * days * DAY_MS
        valid_to = valid_from + days * DAY_MS
        fold = Fold(
            index=i,
            valid_from=valid_from,
            valid_to=valid_to,
            train=label_time < valid_from,
            valid=(event_time >= valid_from) & (event_time < valid_to),
        )
        for part in ("train", "valid"):
            mask = getattr(fold, part)
            frauds = int(y[mask].sum())
            if frauds == 0 or frauds == int(mask.sum()):
                raise FoldError(
                    f"fold {i} ({'labels known before ' + iso_ms(valid_from) if part == 'train' else 'validating ' + iso_ms(valid_from) + ' to ' + iso_ms(valid_to)}) "
                    f"has {int(mask.sum())} {part} rows, {frauds} of them frauds: both classes are needed. "
                    "Use fewer --folds or a longer window (genuine labels can arrive weeks after the transaction)"
                )
        folds.append(fold)
    return folds
