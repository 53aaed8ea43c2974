"""Reference ranking trainer: gradient boosting on recsys_core candidate vectors, pointwise on
clicked / not, exported to ONNX, written into the file-backed model registry beside the fraud models.

    .local/trainer-venv/bin/python services/trainer/train_ranker.py --feature-set recsys_core@1 \
        --data .local/trainer/recsys.csv --registry models --name recsys_rank [--report reports/x.md]

Input: the CSV written by services/scorer/scripts/build-recsys-training-set.ts (request_id,
event_time, user_id, item_id, position, clicked, purchased, then the feature columns in the feature
set's order; empty = NaN): one row per candidate of a recommendation request.
Split by time: requests in the last --held-out-days whole UTC days test (the simulator's held-out
sessions when it is given the same number of evaluation days), the rest train: only those with a
clicked candidate unless --all-requests.
Scored in micro-batches: one request's candidates are one N×F input matrix; the model's column 1 of
`probabilities` ranks them.
Quality on the held-out requests with a click: NDCG@k and recall@k (recsys_metrics.py) of the model
and of a popularity baseline (candidates by their item's views over 7 days as of the request, the
item_views_count_7d feature; and of each --baseline-feature alone), printed, stored in
metadata.json and, with --report, in a Markdown report.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import hashlib
import math
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import onnxruntime as ort
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score

from recsys_metrics import bootstrap_difference, mean_quality, per_request
from selection import single_thread
from train import feature_set, iso, json_vector, write_json

META_COLUMNS = ["request_id", "event_time", "user_id", "item_id", "position", "clicked", "purchased"]
POPULARITY = "item_views_count_7d"
DAY_MS = 86_400_000


class DataError(Exception):
    """The dataset cannot train a ranker; the message says why."""


def load(path: Path) -> dict:
    """The candidate rows: meta columns as arrays, features as float32 (NaN for empty)."""
    with path.open(newline="") as f:
        reader = csv.reader(f)
        header = next(reader, None)
        if header is None:
            raise DataError(f"{path}: empty file")
        if header[: len(META_COLUMNS)] != META_COLUMNS:
            missing = [c for c in META_COLUMNS if c not in header]
            got = f"missing {missing}" if missing else f"got {header[: len(META_COLUMNS)]}"
            raise DataError(f"{path}: expected columns {META_COLUMNS} first, {got}")
        names = header[len(META_COLUMNS):]
        if POPULARITY not in names:
            raise DataError(f"{path}: no {POPULARITY} column (the popularity baseline ranks by it)")
        meta = {c: [] for c in META_COLUMNS}
        rows = []
        for n, line in enumerate(reader, start=2):
            if len(line) != len(header):
                raise DataError(f"{path}:{n}: {len(line)} fields, the header has {len(header)}")
            for c, v in zip(META_COLUMNS, line):
                meta[c].append(v)
            if line[5] not in ("0", "1") or line[6] not in ("0", "1"):
                raise DataError(f"{path}:{n}: clicked and purchased must be 0 or 1, got {line[5]!r}, {line[6]!r}")
            try:
                int(line[1]), int(line[4])
                rows.append([float(c) if c != "" else math.nan for c in line[len(META_COLUMNS):]])
            except ValueError as e:
                raise DataError(f"{path}:{n}: {e}") from None
    if not rows:
        raise DataError(f"{path}: no rows")
    return {
        "names": names,
        "request_id": np.array(meta["request_id"]),
        "event_time": np.array(meta["event_time"], dtype=np.int64),
        "position": np.array(meta["position"], dtype=np.int64),
        "clicked": np.array(meta["clicked"], dtype=np.int8),
        "purchased": np.array(meta["purchased"], dtype=np.int8),
        "X": np.array(rows, dtype=np.float32),
    }


def time_split(event_time: np.ndarray, held_out_days: int) -> tuple[np.ndarray, int]:
    """Rows in the last `held_out_days` whole UTC days (up to the midnight after the last row) test."""
    if held_out_days < 1:
        raise DataError(f"--held-out-days must be at least 1, got {held_out_days}")
    end = (int(event_time.max()) // DAY_MS + 1) * DAY_MS
    cut = end - held_out_days * DAY_MS
    return event_time >= cut, cut


def check_split(data: dict, test: np.ndarray) -> None:
    y = data["clicked"]
    for name, rows in (("training", ~test), ("held-out", test)):
        if rows.sum() == 0:
            raise DataError(f"the {name} split has no rows")
        if y[rows].sum() == 0:
            raise DataError(f"the {name} split has no positives (no clicked candidate in {int(rows.sum())} rows)")
        if y[rows].min() == 1:
            raise DataError(f"the {name} split has no negatives")


def fit(X: np.ndarray, y: np.ndarray, args) -> HistGradientBoostingClassifier:
    model = HistGradientBoostingClassifier(
        max_iter=args.trees,
        max_depth=args.depth,
        learning_rate=args.learning_rate,
        max_leaf_nodes=31,
        min_samples_leaf=args.min_samples_leaf,
        early_stopping=False,
        random_state=0,
    )
    with single_thread():  # see selection.single_thread: HistGradientBoosting's spinning OpenMP threads
        return model.fit(X, y)


def export(model, features: int) -> bytes:
    onx = convert_sklearn(
        model,
        initial_types=[("input", FloatTensorType([None, features]))],
        options={id(model): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    return onx.SerializeToString()


def onnx_scores(blob: bytes, X: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]
    return session.run(None, {"input": X})[outputs.index("probabilities")][:, 1]


def quality(data: dict, rows: np.ndarray, scores: dict, k: int) -> dict:
    """Each ranker's mean NDCG@k and recall@k on the rows' requests, and the model − popularity intervals."""
    args = (data["request_id"][rows], data["position"][rows], data["clicked"][rows])
    out = {name: mean_quality(*args, s, k) for name, s in scores.items()}
    model_ndcg, model_recall = per_request(*args, scores["model"], k)
    pop_ndcg, pop_recall = per_request(*args, scores["popularity"], k)
    out["model_minus_popularity_95"] = {
        f"ndcg_at_{k}": list(bootstrap_difference(model_ndcg, pop_ndcg)),
        f"recall_at_{k}": list(bootstrap_difference(model_recall, pop_recall)),
    }
    return out


def pick_fixture_requests(data: dict, test: np.ndarray, n: int) -> list[str]:
    """The first n held-out requests with a click (whole candidate lists: the scorer's micro-batches)."""
    ids = data["request_id"][test & (data["clicked"] == 1)]
    _, first = np.unique(ids, return_index=True)
    return [str(r) for r in ids[np.sort(first)][:n]]


def report_markdown(meta: dict, command: str) -> str:
    m = meta["metrics"]
    k = m["k"]
    q = m["held_out"]
    lines = [
        f"# Ranking model {meta['name']}@{meta['version']} against popularity",
        "",
        f"Trained {meta['created_at'][:10]} by `services/trainer/train_ranker.py` on `{meta['feature_set']['name']}` "
        f"v{meta['feature_set']['version']} candidate vectors: {meta['dataset']['rows']} rows of {meta['dataset']['requests']} requests"
        f" ({meta['dataset']['note'] or meta['dataset']['file']}).",
        "",
        f"Held out: requests from {meta['training_window']['test_from']} ({m['test_rows']} candidate rows, "
        f"{m['test_requests']} requests, {q['model']['requests']} with a clicked candidate, on which the figures are). "
        f"Trained on {m['train_rows']} rows ({m['train_requests']} requests: {meta['params']['training_requests']}; "
        f"{m['train_clicked']} clicked).",
        "",
        f"| ranker | NDCG@{k} | recall@{k} |",
        "| --- | --- | --- |",
    ]
    labels = {
        "model": f"{meta['name']} (gradient boosting, pointwise on clicks)",
        "popularity": "popularity (item views over 7 days as of the request)",
        "candidate_order": "the request's own candidate order",
        **{f: f"`{f}` alone (NaN last)" for f in q if f not in ("model", "popularity", "candidate_order", "model_minus_popularity_95")},
    }
    for name, label in labels.items():
        lines.append(f"| {label} | {q[name][f'ndcg_at_{k}']:.4f} | {q[name][f'recall_at_{k}']:.4f} |")
    d = q["model_minus_popularity_95"]
    lines += [
        f"| model − popularity, 95 % interval (bootstrap over requests) | {d[f'ndcg_at_{k}'][0]:.4f} .. {d[f'ndcg_at_{k}'][1]:.4f} "
        f"| {d[f'recall_at_{k}'][0]:.4f} .. {d[f'recall_at_{k}'][1]:.4f} |",
        "",
        f"Pointwise on the held-out rows: ROC AUC {m['roc_auc']:.4f}, average precision {m['average_precision']:.4f}. "
        f"Model file {meta['bytes']:,} bytes; ONNX scores within {meta['onnx_max_abs_diff']:.1e} of scikit-learn's on the held-out rows.",
        "",
        "```sh",
        command,
        "```",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--feature-set", required=True, type=feature_set, help="name@version the data was made with")
    ap.add_argument("--registry", required=True, type=Path)
    ap.add_argument("--name", default="recsys_rank")
    ap.add_argument("--held-out-days", type=int, default=2)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--learning-rate", type=float, default=0.05)
    ap.add_argument("--min-samples-leaf", type=int, default=200)
    ap.add_argument("--all-requests", action="store_true", help="train on every request, not only those with a click")
    ap.add_argument("--baseline-feature", action="append", default=[], help="also rank by this feature (repeatable)")
    ap.add_argument("--fixture-requests", type=int, default=4)
    ap.add_argument("--dataset-note", default="", help="how the dataset was made, recorded in the metadata")
    ap.add_argument("--report", type=Path, default=None, help="write the quality report here (Markdown)")
    args = ap.parse_args(argv)
    try:
        command = [".local/trainer-venv/bin/python", "services/trainer/train_ranker.py", *(argv if argv is not None else sys.argv[1:])]
        run(args, shlex.join(command))
    except DataError as e:
        sys.exit(f"train_ranker: {e}")


def run(args, command: str) -> Path:
    for option, value in (("--k", args.k), ("--fixture-requests", args.fixture_requests)):
        if value < 1:
            raise DataError(f"{option} must be at least 1, got {value}")
    data = load(args.data)
    names, X, y = data["names"], data["X"], data["clicked"]
    test, cut = time_split(data["event_time"], args.held_out_days)
    train = ~test
    check_split(data, test)
    missing = [f for f in args.baseline_feature if f not in names]
    if missing:
        raise DataError(f"--baseline-feature {missing}: no such column")
    if not args.all_requests:
        # A request without a clicked candidate has no ranking to learn (nor NDCG); its negatives are
        # mostly candidates the user never saw.
        clicked_requests = np.unique(data["request_id"][y == 1])
        train = train & np.isin(data["request_id"], clicked_requests)
    n_requests = lambda rows: int(len(np.unique(data["request_id"][rows])))  # noqa: E731
    print(f"rows {len(y)}: train {train.sum()} ({y[train].sum()} clicked), held out {test.sum()} ({y[test].sum()} clicked)")

    model = fit(X[train], y[train], args)
    blob = export(model, X.shape[1])
    p_test = model.predict_proba(X[test])[:, 1]
    onnx_test = onnx_scores(blob, X[test])
    max_diff = float(np.max(np.abs(onnx_test - p_test)))

    popularity = X[test][:, names.index(POPULARITY)].astype(np.float64)
    scores = {
        "model": p_test,
        "popularity": popularity,
        "candidate_order": np.zeros(int(test.sum())),  # ties everywhere: the request's own order
        **{f: np.nan_to_num(X[test][:, names.index(f)].astype(np.float64), nan=-np.inf) for f in args.baseline_feature},
    }
    held_out = quality(data, test, scores, args.k)
    metrics = {
        "k": args.k,
        "held_out": held_out,
        f"ndcg_at_{args.k}": held_out["model"][f"ndcg_at_{args.k}"],
        f"recall_at_{args.k}": held_out["model"][f"recall_at_{args.k}"],
        f"popularity_ndcg_at_{args.k}": held_out["popularity"][f"ndcg_at_{args.k}"],
        f"popularity_recall_at_{args.k}": held_out["popularity"][f"recall_at_{args.k}"],
        "roc_auc": float(roc_auc_score(y[test], p_test)),
        "average_precision": float(average_precision_score(y[test], p_test)),
        "test_rows": int(test.sum()),
        "test_requests": n_requests(test),
        "test_clicked": int(y[test].sum()),
        "train_rows": int(train.sum()),
        "train_requests": n_requests(train),
        "train_clicked": int(y[train].sum()),
    }
    for name in scores:
        q = held_out[name]
        print(f"{name:>16}: NDCG@{args.k} {q[f'ndcg_at_{args.k}']:.4f}  recall@{args.k} {q[f'recall_at_{args.k}']:.4f}  ({q['requests']} requests)")
    print(f"model − popularity 95 %: {held_out['model_minus_popularity_95']}")
    if held_out["model"][f"ndcg_at_{args.k}"] <= held_out["popularity"][f"ndcg_at_{args.k}"]:
        print(f"the model does NOT beat popularity on NDCG@{args.k}")

    model_dir = args.registry / args.name
    model_dir.mkdir(parents=True, exist_ok=True)
    versions = [int(p.name) for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit()]
    version = str(max(versions, default=0) + 1)
    out = model_dir / version
    out.mkdir()
    (out / "model.onnx").write_bytes(blob)

    # Fixture: whole held-out requests (each one micro-batch), with onnxruntime's and sklearn's scores.
    fixture_ids = pick_fixture_requests(data, test, args.fixture_requests)
    batches, vectors = [], []
    for rid in fixture_ids:
        rows = np.flatnonzero(data["request_id"] == rid)
        rows = rows[np.argsort(data["position"][rows], kind="stable")]
        batches.append({"request_id": rid, "from": len(vectors), "to": len(vectors) + len(rows)})
        vectors.extend(X[rows])
    vectors = np.array(vectors, dtype=np.float32)
    write_json(
        out / "fixture.json",
        {
            "doc": "Whole held-out requests' candidate vectors (null = NaN), one micro-batch each (rows from..to), "
            "with the Python onnxruntime's click probability for each; sklearn's for reference.",
            "batches": batches,
            "vectors": [json_vector(v) for v in vectors],
            "onnxruntime": [float(v) for v in onnx_scores(blob, vectors)],
            "sklearn": [float(v) for v in model.predict_proba(vectors)[:, 1]],
        },
    )

    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = np.nanmedian(X[train], axis=0)
    t = data["event_time"]
    meta = {
        "name": args.name,
        "version": version,
        "created_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "created_by": getpass.getuser(),
        "file": "model.onnx",
        "sha256": hashlib.sha256(blob).hexdigest(),
        "bytes": len(blob),
        "task": "ranking",
        "feature_set": {**args.feature_set, "names": names},
        "input": "input",
        "output": {"name": "probabilities", "column": 1},
        "batch": "one request's candidates: an N×F matrix in the request's candidate order; higher ranks first",
        "reference_vector": json_vector(reference),
        "training_window": {
            "train_from": iso(t[train].min()),
            "train_to": iso(t[train].max()),
            "test_from": iso(t[test].min()),
            "test_to": iso(t[test].max()),
            "split": f"request event_time < {iso(cut)} trains (the last {args.held_out_days} UTC days held out)",
        },
        "algorithm": "sklearn.ensemble.HistGradientBoostingClassifier (pointwise on clicked)",
        "params": {
            "max_iter": args.trees,
            "max_depth": args.depth,
            "learning_rate": args.learning_rate,
            "max_leaf_nodes": 31,
            "min_samples_leaf": args.min_samples_leaf,
            "training_requests": "all" if args.all_requests else "with a clicked candidate",
        },
        "dataset": {
            "file": str(args.data),
            "rows": int(len(y)),
            "requests": n_requests(np.ones(len(y), dtype=bool)),
            "clicked": int(y.sum()),
            "note": args.dataset_note,
        },
        "metrics": metrics,
        "onnx_max_abs_diff": max_diff,
    }
    write_json(out / "metadata.json", meta)
    print(f"registered {args.name}@{version} ({len(blob)} bytes) in {out}; ONNX vs sklearn max |diff| {max_diff:.2e}")
    if args.report is not None:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(report_markdown(meta, command))
        print(f"report: {args.report}")
    return out


if __name__ == "__main__":
    main()
