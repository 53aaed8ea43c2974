"""evaluate_selection.py on a small synthetic dataset: the report and the JSON figures."""

import json
import os
import subprocess
import sys

from conftest import TRAINER, synthetic, write_csv


def test_evaluation_compares_selected_and_reference_on_held_out_weeks(tmp_path):
    data = write_csv(tmp_path / "data.csv", *synthetic(days=42, per_day=100))
    report = tmp_path / "report.md"
    result = subprocess.run(
        [sys.executable, str(TRAINER / "evaluate_selection.py"), "--data", str(data), "--holdout-weeks", "1",
         "--folds", "2", "--trials-per-family", "1", "--families", "logreg,gbdt", "--report", str(report)],
        capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["holdout_rows"] + figures["train_rows"] == 42 * 100
    assert figures["chosen"]["family"] == "gbdt"  # the synthetic fraud is an interaction a linear model misses
    assert figures["selected"]["average_precision"] > 0.5
    assert 0 < figures["reference"]["card_precision_at_100"] <= figures["card_precision_ceiling"]
    assert len(figures["weeks"]) == 1
    assert figures["selected_onnx"]["max_abs_difference"] < 1e-5
    low, high = figures["difference_95"]["average_precision"]
    assert low <= high
    text = report.read_text()
    assert "| reference (gbdt, today's params) |" in text
    assert "**(chosen)**" in text


def test_evaluation_rejects_bad_counts(tmp_path):
    result = subprocess.run(
        [sys.executable, str(TRAINER / "evaluate_selection.py"), "--holdout-weeks", "0"], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "must be at least 1" in result.stderr
