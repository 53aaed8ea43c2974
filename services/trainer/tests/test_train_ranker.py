"""train_ranker.py end to end on a small synthetic dataset in the builder's CSV format, and the
committed recsys_rank model's fixture."""

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from conftest import DAY_MS, START_MS
from train_ranker import META_COLUMNS, main

REPO = Path(__file__).resolve().parents[3]
NAMES = ["user_category_click_share_7d", "item_views_count_7d", "noise"]


def synthetic_csv(path: Path, days: int = 6, per_day: int = 40, candidates: int = 12, seed: int = 3, clicks: bool = True) -> Path:
    """Requests spread over `days`; a candidate is clicked mostly when its affinity feature is high,
    whatever its popularity (item_views_count_7d) or position."""
    rng = np.random.default_rng(seed)
    lines = [",".join(META_COLUMNS + NAMES)]
    r = 0
    for day in range(days):
        for t in np.sort(rng.integers(0, DAY_MS, size=per_day)):
            r += 1
            affinity = rng.random(candidates)
            views = rng.integers(0, 50, size=candidates)
            noise = np.where(rng.random(candidates) < 0.2, np.nan, rng.normal(size=candidates))
            clicked = (rng.random(candidates) < np.where(affinity > 0.8, 0.6, 0.03)) & clicks
            for p in range(candidates):
                cells = [repr(float(affinity[p])), str(int(views[p])), "" if np.isnan(noise[p]) else repr(float(noise[p]))]
                meta = [f"r{r}", str(START_MS + day * DAY_MS + int(t)), f"u{r % 17}", f"i{rng.integers(0, 99)}", str(p), str(int(clicked[p])), "0"]
                lines.append(",".join(meta + cells))
    path.write_text("\n".join(lines) + "\n")
    return path


def train(tmp_path: Path, data: Path, *extra: str) -> Path:
    registry = tmp_path / "registry"
    main(["--feature-set", "toy@1", "--data", str(data), "--registry", str(registry), "--trees", "20", "--depth", "3",
          "--report", str(tmp_path / "report.md"), *extra])
    return registry / "recsys_rank" / "1"


def test_trains_splits_by_time_beats_popularity_and_registers(tmp_path):
    out = train(tmp_path, synthetic_csv(tmp_path / "d.csv"), "--all-requests", "--baseline-feature", "noise")
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["name"] == "recsys_rank" and meta["version"] == "1"
    assert meta["feature_set"] == {"name": "toy", "version": 1, "names": NAMES}
    assert meta["output"] == {"name": "probabilities", "column": 1}
    # the last 2 UTC days of 6 are held out: 2 × 40 requests of 12 candidates
    m = meta["metrics"]
    assert (m["test_requests"], m["test_rows"], m["train_requests"]) == (80, 960, 160)
    assert meta["training_window"]["test_from"].startswith("2026-01-05")
    assert meta["training_window"]["train_to"].startswith("2026-01-04")
    q = m["held_out"]
    assert q["model"]["ndcg_at_10"] > q["popularity"]["ndcg_at_10"] + 0.2
    assert q["model"]["recall_at_10"] > q["popularity"]["recall_at_10"]
    assert m["ndcg_at_10"] == q["model"]["ndcg_at_10"]
    assert q["model_minus_popularity_95"]["ndcg_at_10"][0] > 0
    assert q["noise"]["requests"] == q["model"]["requests"]
    assert q["noise"]["ndcg_at_10"] < q["model"]["ndcg_at_10"]
    report = (tmp_path / "report.md").read_text()
    assert f"| {q['model']['ndcg_at_10']:.4f} | {q['model']['recall_at_10']:.4f} |" in report
    assert f"| `noise` alone (NaN last) | {q['noise']['ndcg_at_10']:.4f} |" in report
    # a second run is the next version
    assert train(tmp_path, tmp_path / "d.csv").parent.joinpath("2").is_dir()


def test_trains_on_the_requests_with_a_click_by_default(tmp_path):
    data = synthetic_csv(tmp_path / "d.csv")
    rows = [line.split(",") for line in data.read_text().splitlines()[1:]]
    cut = START_MS + 4 * DAY_MS
    clicked = {r[0] for r in rows if r[5] == "1" and int(r[1]) < cut}
    meta = json.loads((train(tmp_path, data) / "metadata.json").read_text())
    assert 0 < len(clicked) < 160
    assert meta["metrics"]["train_requests"] == len(clicked)
    assert meta["metrics"]["train_rows"] == 12 * len(clicked)
    assert meta["metrics"]["test_requests"] == 80  # evaluated on every held-out request (those with a click count)
    assert meta["params"]["training_requests"] == "with a clicked candidate"


def test_onnx_scores_equal_sklearn_on_the_fixture_batch_by_batch(tmp_path):
    out = train(tmp_path, synthetic_csv(tmp_path / "d.csv"), "--fixture-requests", "3")
    fixture = json.loads((out / "fixture.json").read_text())
    assert [b["to"] - b["from"] for b in fixture["batches"]] == [12, 12, 12]
    check_fixture(out, fixture)


def check_fixture(out: Path, fixture: dict) -> None:
    session = ort.InferenceSession(str(out / "model.onnx"), providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]
    for b in fixture["batches"]:
        X = np.array([[np.nan if v is None else v for v in row] for row in fixture["vectors"][b["from"]:b["to"]]], dtype=np.float32)
        scores = session.run(None, {"input": X})[outputs.index("probabilities")][:, 1]
        assert np.max(np.abs(scores - np.array(fixture["sklearn"][b["from"]:b["to"]]))) < 1e-5
        assert np.max(np.abs(scores - np.array(fixture["onnxruntime"][b["from"]:b["to"]]))) < 1e-5
    assert any(v is None for row in fixture["vectors"] for v in row)  # NaNs are in the fixture


def test_the_committed_recsys_rank_fixture_scores_as_sklearn_did():
    out = REPO / "models" / "recsys_rank" / "1"
    fixture = json.loads((out / "fixture.json").read_text())
    meta = json.loads((out / "metadata.json").read_text())
    assert meta["feature_set"]["name"] == "recsys_core" and len(meta["feature_set"]["names"]) == 27
    assert all(len(row) == 27 for row in fixture["vectors"])
    check_fixture(out, fixture)
    q = meta["metrics"]["held_out"]
    assert q["model"]["ndcg_at_10"] > q["popularity"]["ndcg_at_10"]


def set_field(text: str, column: int, value: str) -> str:
    """The CSV text with one field of its first data row replaced."""
    header, first, rest = text.split("\n", 2)
    cells = first.split(",")
    cells[column] = value
    return "\n".join([header, ",".join(cells), rest])


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("clicked,", "", 1), "expected columns ['request_id'"),
        (lambda t: t.replace("item_views_count_7d", "item_views", 1), "no item_views_count_7d column"),
        (lambda t: t.split("\n", 1)[0] + "\n", "no rows"),
        (lambda t: t.replace("\nr3,", "\nr3,x,", 1), "fields, the header has"),
        (lambda t: set_field(t, 5, "yes"), "clicked and purchased must be 0 or 1, got 'yes'"),
        (lambda t: t.replace("\nr3,1767", "\nr3,x1767", 1), "invalid literal for int() with base 10: 'x1767"),
        (lambda t: t.rstrip("\n") + "x\n", "could not convert string to float"),
    ],
)
def test_bad_data_stops_with_a_clear_error(tmp_path, capsys, edit, message):
    data = synthetic_csv(tmp_path / "d.csv", days=3)
    data.write_text(edit(data.read_text()))
    with pytest.raises(SystemExit) as exit:
        train(tmp_path, data)
    assert message in str(exit.value.code)
    assert not (tmp_path / "registry").exists()


def test_no_positives_in_a_split_stops_with_a_clear_error(tmp_path):
    with pytest.raises(SystemExit) as exit:
        train(tmp_path, synthetic_csv(tmp_path / "d.csv", days=3, clicks=False))
    assert "the training split has no positives" in str(exit.value.code)
    data = synthetic_csv(tmp_path / "e.csv", days=3)
    # no click in the last two days (the held-out split)
    lines = data.read_text().splitlines()
    cut = START_MS + DAY_MS
    kept = [lines[0]] + [
        ",".join(c[:5] + ["0"] + c[6:]) if int(c[1]) >= cut else line for line in lines[1:] for c in [line.split(",")]
    ]
    data.write_text("\n".join(kept) + "\n")
    with pytest.raises(SystemExit) as exit:
        train(tmp_path, data)
    assert "the held-out split has no positives" in str(exit.value.code)
    assert not (tmp_path / "registry").exists()


def test_an_unknown_baseline_feature_is_refused(tmp_path):
    with pytest.raises(SystemExit) as exit:
        train(tmp_path, synthetic_csv(tmp_path / "d.csv", days=3), "--baseline-feature", "nope")
    assert "--baseline-feature ['nope']: no such column" in str(exit.value.code)


@pytest.mark.parametrize("option", ["--held-out-days", "--k", "--fixture-requests"])
def test_counts_below_one_are_refused(tmp_path, option):
    with pytest.raises(SystemExit) as exit:
        train(tmp_path, synthetic_csv(tmp_path / "d.csv", days=3), option, "0")
    assert f"{option} must be at least 1, got 0" in str(exit.value.code)
    assert not (tmp_path / "registry").exists()
