import numpy as np
import pytest
from conftest import DAY_MS, START_MS, synthetic

from folds import FoldError, prequential_folds


def test_folds_train_only_on_labels_known_before_the_fold():
    event_time, label_time, _, y, _ = synthetic(days=35)
    folds = prequential_folds(event_time, label_time, y, n_folds=3, fold_days=7)
    assert len(folds) == 3
    for f in folds:
        assert (label_time[f.train] < f.valid_from).all()
        # Rows of before the fold whose label came later exist, and are left out: a split by
        # event_time alone would train on them.
        late = (event_time < f.valid_from) & (label_time >= f.valid_from)
        assert late.sum() > 0
        assert not f.train[late].any()
        assert f.train.sum() == (label_time < f.valid_from).sum()
        assert ((event_time[f.valid] >= f.valid_from) & (event_time[f.valid] < f.valid_to)).all()


def test_folds_are_consecutive_weeks_at_the_end_and_expand():
    event_time, label_time, _, y, _ = synthetic(days=35)
    folds = prequential_folds(event_time, label_time, y, n_folds=3, fold_days=7)
    end = START_MS + 35 * DAY_MS
    assert [(f.valid_from, f.valid_to) for f in folds] == [
        (end - 21 * DAY_MS, end - 14 * DAY_MS), (end - 14 * DAY_MS, end - 7 * DAY_MS), (end - 7 * DAY_MS, end)
    ]
    for a, b in zip(folds, folds[1:]):
        assert (b.train | ~a.train).all()  # a's training rows are in b's
        assert b.train.sum() > a.train.sum()
    assert folds[0].describe()["train_rule"] == "label_time < 2026-01-15T00:00:00Z"


def test_short_data_shrinks_the_validation_windows():
    event_time, _, _, y, _ = synthetic(days=20)
    label_time = event_time + DAY_MS  # every label a day late, so that the first fold has both classes
    folds = prequential_folds(event_time, label_time, y, n_folds=3, fold_days=7)
    assert [(f.valid_to - f.valid_from) // DAY_MS for f in folds] == [5, 5, 5]


def test_a_fold_without_known_genuine_labels_is_an_error():
    event_time, label_time, _, y, _ = synthetic(days=35)
    # Genuine labels 40 days late: no fold could train on a genuine row.
    label_time = np.where(y == 1, label_time, event_time + 40 * DAY_MS)
    with pytest.raises(FoldError, match="both classes"):
        prequential_folds(event_time, label_time, y, n_folds=3)


def test_too_many_folds_for_the_data_is_an_error():
    event_time, label_time, _, y, _ = synthetic(days=5)
    with pytest.raises(FoldError, match="cannot make 9 validation windows"):
        prequential_folds(event_time, label_time, y, n_folds=9)


def test_folds_can_end_before_the_newest_rows():
    event_time, label_time, _, y, _ = synthetic(days=35)
    end = START_MS + 28 * DAY_MS
    folds = prequential_folds(event_time, label_time, y, n_folds=2, fold_days=7, end=end)
    assert [(f.valid_from, f.valid_to) for f in folds] == [(end - 14 * DAY_MS, end - 7 * DAY_MS), (end - 7 * DAY_MS, end)]
    assert not any((event_time[f.valid] >= end).any() for f in folds)
    with pytest.raises(FoldError, match="must be a UTC midnight"):
        prequential_folds(event_time, label_time, y, n_folds=2, end=end + 1)
    with pytest.raises(FoldError, match="must be a UTC midnight"):
        prequential_folds(event_time, label_time, y, n_folds=2, end=START_MS + 40 * DAY_MS)
