import numpy as np
import pytest
from conftest import synthetic

from selection import CARD_METRIC, choose, families, fit, run_trials, sample_params, trials_for_logging


def trial(i, ap, cp, family="gbdt"):
    return {"trial": i, "family": family, "params": {}, "average_precision": ap, CARD_METRIC: cp, "folds": []}


def test_choose_takes_the_highest_average_precision():
    index, reason = choose([trial(0, 0.50, 0.9), trial(1, 0.60, 0.1), trial(2, 0.55, 0.5)])
    assert index == 1
    assert "highest mean average precision" in reason


def test_choose_breaks_near_ties_by_card_precision():
    # 0.603 is within 0.005 of 0.605: tied, and trial 0's card precision is higher.
    index, reason = choose([trial(0, 0.603, 0.40), trial(1, 0.605, 0.30), trial(2, 0.590, 0.90)])
    assert index == 0
    assert "card_precision_at_100" in reason


def test_choose_prefers_the_earlier_trial_on_a_full_tie_and_never_nan():
    assert choose([trial(0, 0.6, 0.3), trial(1, 0.6, 0.3)])[0] == 0
    assert choose([trial(0, float("nan"), 0.9), trial(1, 0.1, 0.1)])[0] == 1


def test_sampling_is_seeded_starts_at_the_reference_and_never_repeats():
    family = families()["gbdt"]
    a = sample_params(family, 5, np.random.default_rng(3))
    b = sample_params(family, 5, np.random.default_rng(3))
    assert a == b
    assert a[0] == {"learning_rate": 0.1, "max_iter": 100, "max_depth": 6, "max_leaf_nodes": 31, "l2_regularization": 0.0}
    assert len({tuple(sorted(p.items())) for p in a}) == 5
    assert len(sample_params(families()["logreg"], 50, np.random.default_rng(0))) == 8  # the whole grid


def test_selection_picks_trees_where_a_linear_model_cannot_fit():
    event_time, label_time, customer, y, X = synthetic(days=35, kind="xor")
    logged = []
    selection = run_trials(
        X, y, event_time, label_time, customer,
        family_names=["logreg", "gbdt"], n_folds=2, trials_per_family=2, seed=0, log=logged.append,
    )
    trials = selection["trials"]
    assert [t["family"] for t in trials] == ["logreg", "logreg", "gbdt", "gbdt"]
    chosen = trials[selection["chosen"]]
    assert chosen["family"] == "gbdt"
    best_linear = max(t["average_precision"] for t in trials if t["family"] == "logreg")
    assert chosen["average_precision"] > best_linear + 0.2
    assert all(len(t["folds"]) == 2 for t in trials)
    assert sum(line.startswith("trial") for line in logged) == 4  # every trial printed
    assert any(line.startswith("chosen: trial") for line in logged)


def test_trials_for_logging_is_flat_plain_data():
    selection = {
        "chosen": 1,
        "trials": [
            {**trial(0, 0.5, 0.2, "logreg"), "params": {"C": 1.0, "class_weight": None},
             "folds": [{"fold": 0, "average_precision": 0.5, CARD_METRIC: 0.2}]},
            {**trial(1, 0.7, 0.3), "params": {"max_iter": 100},
             "folds": [{"fold": 0, "average_precision": 0.7, CARD_METRIC: 0.3}]},
        ],
    }
    logged = trials_for_logging(selection)
    assert logged[0] == {
        "name": "trial-0-logreg",
        "params": {"family": "logreg", "C": 1.0, "class_weight": "None"},
        "metrics": {"average_precision": 0.5, CARD_METRIC: 0.2, "fold_0_average_precision": 0.5, f"fold_0_{CARD_METRIC}": 0.2},
        "chosen": False,
    }
    assert logged[1]["chosen"] is True


@pytest.mark.parametrize("name", ["gbdt", "rf", "logreg"])
def test_every_family_handles_nan(name):
    _, _, _, y, X = synthetic(days=5)
    family = families()[name]
    model = fit(family, family.reference, X, y, 0)
    assert np.isfinite(model.predict_proba(X)).all()
