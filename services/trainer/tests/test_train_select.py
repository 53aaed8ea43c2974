"""train.py --select end to end on a small synthetic CSV: each family selected alone, exported to
ONNX, its fixture's onnxruntime scores within 1e-5 of sklearn's, every trial in the metadata."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import DAY_MS, START_MS, TRAINER, synthetic, write_csv


def train(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, str(TRAINER / "train.py"), "--feature-set", "synthetic@1", *args],
        capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"},  # see selection.single_thread
    )
    if check and result.returncode != 0:
        raise AssertionError(result.stdout + result.stderr)
    return result


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return write_csv(tmp_path_factory.mktemp("data") / "train.csv", *synthetic(days=40, per_day=100))


@pytest.mark.parametrize("family", ["gbdt", "rf", "logreg"])
def test_each_family_exports_to_onnx_with_sklearns_scores(data, tmp_path, family):
    result = train("--data", str(data), "--registry", str(tmp_path), "--name", "m",
                   "--select", "--families", family, "--folds", "2", "--trials-per-family", "2", "--seed", "1")
    assert result.stdout.count(f" {family} ") >= 2  # both trials printed
    meta = json.loads((tmp_path / "m" / "1" / "metadata.json").read_text())
    selection = meta["selection"]
    assert [t["family"] for t in selection["trials"]] == [family, family]
    assert all(len(t["folds"]) == 2 for t in selection["trials"])
    chosen = selection["trials"][selection["chosen"]]
    assert meta["params"] == chosen["params"]
    assert meta["algorithm"] == chosen["algorithm"]
    assert selection["reason"]
    assert meta["feature_set"]["names"] == [f"f{i}" for i in range(6)]  # customer_id is not a feature
    fixture = json.loads((tmp_path / "m" / "1" / "fixture.json").read_text())
    assert any(v is None for row in fixture["vectors"] for v in row)  # NaNs go through the export
    diff = np.abs(np.array(fixture["onnxruntime"]) - np.array(fixture["sklearn"]))
    assert diff.max() < 1e-5


def test_without_select_the_reference_gbdt_is_trained_as_before(data, tmp_path):
    train("--data", str(data), "--registry", str(tmp_path), "--name", "m")
    meta = json.loads((tmp_path / "m" / "1" / "metadata.json").read_text())
    assert meta["algorithm"] == "sklearn.ensemble.HistGradientBoostingClassifier"
    assert "selection" not in meta


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--select", "--families", "gbdt,svm"], "families are a comma-separated list of gbdt, rf, logreg"),
        (["--families", "rf"], "--families needs --select"),
    ],
)
def test_train_py_rejects_bad_selection_options(tmp_path, args, message):
    result = train("--data", "unused.csv", "--registry", str(tmp_path), *args, check=False)
    assert result.returncode == 2
    assert message in result.stderr


def test_select_without_customer_ids_says_what_is_missing(tmp_path):
    data = write_csv(tmp_path / "plain.csv", *synthetic(days=40, per_day=50), with_customer=False)
    result = train("--data", str(data), "--registry", str(tmp_path), "--select", check=False)
    assert result.returncode == 1
    assert "needs a customer_id column" in result.stderr
    assert not (tmp_path / "fraud_gbdt").exists()


def test_select_on_too_short_a_window_says_why(tmp_path):
    data = write_csv(tmp_path / "short.csv", *synthetic(days=12, per_day=50))
    result = train("--data", str(data), "--registry", str(tmp_path), "--select", "--folds", "2", check=False)
    assert result.returncode == 1
    assert "both classes are needed" in result.stderr
    assert not (tmp_path / "fraud_gbdt").exists()


def test_folds_end_lets_selection_run_on_data_with_the_labels_known_at_a_cutoff(tmp_path):
    # Training rows labelled before day 40 only, as the monitor's retraining export has them (its last
    # 10 days hold only frauds); the evaluation rows are the days after.
    rows = synthetic(days=50, per_day=100)
    event_time, label_time = rows[0], rows[1]
    cutoff = START_MS + 40 * DAY_MS
    known, later = (event_time < cutoff) & (label_time < cutoff), event_time >= cutoff
    data = write_csv(tmp_path / "known.csv", *(column[known] for column in rows))
    evaluation = write_csv(tmp_path / "eval.csv", *(column[later] for column in rows))
    args = ["--data", str(data), "--eval-data", str(evaluation), "--registry", str(tmp_path), "--name", "m",
            "--select", "--families", "logreg", "--folds", "2", "--trials-per-family", "1"]
    failed = train(*args, check=False)
    assert failed.returncode == 1
    assert "both classes are needed" in failed.stderr
    train(*args, "--folds-end", "2026-01-31")
    folds = json.loads((tmp_path / "m" / "1" / "metadata.json").read_text())["selection"]["folds"]
    assert [f["valid_to"] for f in folds] == ["2026-01-24T00:00:00Z", "2026-01-31T00:00:00Z"]
