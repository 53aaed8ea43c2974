"""Reference trainer: gradient boosting on fraud_core vectors, exported to ONNX, written into the
file-backed model registry (see services/scorer/README.md, "Model registry").

    .local/trainer-venv/bin/python services/trainer/train.py --feature-set fraud_core@2 \
        --data .local/trainer/train.csv --registry models --name fraud_gbdt [--promote champion]

Input: the CSV written by services/scorer/scripts/build-training-set.ts (event_id, event_time,
is_fraud, label_time, then the feature columns in the feature set's order; empty = NaN), made from
the feature set --feature-set names (name@version): the model's input contract.
Split by time: the earliest 75 % of the event-time range trains, the rest tests.
Output: <registry>/<name>/<version>/{model.onnx, metadata.json, fixture.json}; with --promote the
alias file <registry>/aliases.json is updated (who/when/why recorded in its history).

MLflow (see services/trainer/README.md): with MLFLOW_TRACKING_URI set, the run is logged there
(parameters, metrics, the ONNX model, its metadata and the feature-set contract, the training
window); with MODEL_REGISTRY=mlflow the version is registered in MLflow's model registry instead of
the --registry directory, and --promote moves MLflow aliases (services/scorer/src/registry/).

Retraining (services/monitor's retraining job): with --eval-data, every row of --data trains and the
evaluation rows (the most recent labelled window, same columns) test; with --champion the champion's
ONNX model is scored on them too, and the candidate is registered only if its --metric is not below
the champion's by more than --margin. --result writes both models' figures and the decision as JSON.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import hashlib
import json
import math
import os
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import onnxruntime as ort
from mlflow_log import MlflowTarget, registry_target
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import average_precision_score, roc_auc_score

from selection import add_selection_arguments, check_selection_arguments, select_and_fit

META_COLUMNS = ["event_id", "event_time", "is_fraud", "label_time"]
ALIASES = ("champion", "challenger", "shadow", "archived")


def iso(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def load(path: Path):
    with path.open(newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        if header[: len(META_COLUMNS)] != META_COLUMNS:
            sys.exit(f"{path}: expected columns {META_COLUMNS} first, got {header[:4]}")
        first = len(META_COLUMNS) + (header[4:5] == ["customer_id"])  # optional, not a feature (selection.py reads it)
        names = header[first:]
        times, labels, rows = [], [], []
        for line in reader:
            times.append(int(line[1]))
            labels.append(int(line[2]))
            rows.append([float(c) if c != "" else math.nan for c in line[first:]])
    return names, np.array(times, dtype=np.int64), np.array(labels, dtype=np.int8), np.array(rows, dtype=np.float32)


def precision_at_k(y: np.ndarray, p: np.ndarray, k: int) -> float:
    k = min(k, len(y))
    top = np.argsort(-p, kind="stable")[:k]
    return float(y[top].mean()) if k > 0 else math.nan


def write_json(path: Path, value) -> None:
    """Atomic: a reader (the scorer polling) sees the old file or the new one, never half of one."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as f:
        json.dump(value, f, indent=2, allow_nan=False)
        f.write("\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def json_vector(v) -> list:
    return [None if math.isnan(float(x)) else float(x) for x in v]


def feature_set(text: str) -> dict:
    name, _, version = text.partition("@")
    if not name or not version.isdigit() or int(version) < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a feature set like fraud_core@2")
    return {"name": name, "version": int(version)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, type=Path)
    ap.add_argument("--feature-set", required=True, type=feature_set, help="name@version the data was made with")
    ap.add_argument("--registry", required=True, type=Path)
    ap.add_argument("--name", default="fraud_gbdt")
    ap.add_argument("--trees", type=int, default=100)
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--test-share", type=float, default=0.25)
    ap.add_argument("--promote", choices=ALIASES, default=None)
    ap.add_argument("--why", default="trained by services/trainer/train.py")
    ap.add_argument("--fixture-rows", type=int, default=64)
    ap.add_argument("--dataset-note", default="", help="how the dataset was made, recorded in the metadata")
    ap.add_argument("--eval-data", type=Path, default=None, help="evaluation rows; then every --data row trains")
    ap.add_argument("--champion", type=Path, default=None, help="the champion's model.onnx, compared on --eval-data")
    ap.add_argument("--metric", choices=("average_precision", "roc_auc"), default="average_precision")
    ap.add_argument("--margin", type=float, default=0.0, help="register unless worse than the champion by more")
    ap.add_argument("--result", type=Path, default=None, help="write the figures and the decision here (JSON)")
    add_selection_arguments(ap)
    args = ap.parse_args()
    check_selection_arguments(ap, args)
    # MODEL_REGISTRY and MLFLOW_TRACKING_URI, checked before any work: a bad value names the variable.
    target = registry_target(os.environ)
    mlflow_run = MlflowTarget.start(target, args) if target.tracking_uri else None

    names, times, y, X = load(args.data)
    if args.eval_data is not None:
        eval_names, eval_times, eval_y, eval_X = load(args.eval_data)
        if eval_names != names:
            sys.exit(f"{args.eval_data}: feature columns differ from {args.data}")
        n_train = len(y)
        times = np.concatenate([times, eval_times])
        y = np.concatenate([y, eval_y])
        X = np.concatenate([X, eval_X])
        train = np.arange(len(y)) < n_train
        test = ~train
        cut = eval_times.min() if len(eval_times) else times.max()
    else:
        cut = times.min() + (times.max() - times.min()) * (1 - args.test_share)
        train, test = times < cut, times >= cut
    print(f"rows {len(y)}: train {train.sum()} ({y[train].sum()} fraud), test {test.sum()} ({y[test].sum()} fraud)")
    if len(np.unique(y[train])) < 2 or len(np.unique(y[test])) < 2:
        sys.exit("training and test rows must each hold frauds and genuine transactions")

    if args.select:  # selection.py: search on prequential folds, then fit the chosen one on every training row
        model, selected = select_and_fit(args, train, X, y)
    else:
        selected = {}
        model = HistGradientBoostingClassifier(
            max_iter=args.trees, max_depth=args.depth, learning_rate=0.1, max_leaf_nodes=31, early_stopping=False, random_state=0
        )
        model.fit(X[train], y[train])
    p_test = model.predict_proba(X[test])[:, 1]
    k_values = [50, 100, 500]
    metrics = {
        "roc_auc": float(roc_auc_score(y[test], p_test)),
        "average_precision": float(average_precision_score(y[test], p_test)),
        "precision_at_k": {str(k): precision_at_k(y[test], p_test, k) for k in k_values},
        "test_rows": int(test.sum()),
        "test_fraud": int(y[test].sum()),
        "train_rows": int(train.sum()),
        "train_fraud": int(y[train].sum()),
    }
    print(json.dumps(metrics, indent=2))

    champion = None
    if args.champion is not None:
        champion = evaluate_onnx(args.champion, X[test], y[test])
        print(f"champion on the evaluation rows: {json.dumps(champion)}")
    candidate = {"roc_auc": metrics["roc_auc"], "average_precision": metrics["average_precision"]}
    accept = champion is None or candidate[args.metric] >= champion[args.metric] - args.margin

    onx = convert_sklearn(
        model,
        initial_types=[("input", FloatTensorType([None, X.shape[1]]))],
        options={id(model): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    blob = onx.SerializeToString()

    # The reference vector for per-feature substitution: training medians (NaN where never defined).
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            reference = np.nanmedian(X[train], axis=0)

    window = {
        "train_from": iso(times[train].min()),
        "train_to": iso(times[train].max()),
        "test_from": iso(times[test].min()),
        "test_to": iso(times[test].max()),
        "split": f"event_time < {iso(cut)} trains",
    }
    if mlflow_run:
        mlflow_run.log_training(window, metrics, champion, names)

    if not accept:
        print(f"not registered: {args.metric} {candidate[args.metric]:.4f} < champion {champion[args.metric]:.4f} - {args.margin}")
        write_result(args.result, candidate, champion, metrics, "REJECTED", None)
        if mlflow_run:
            mlflow_run.finish(blob, None, "REJECTED")
        return

    if target.kind == "mlflow":
        # MLflow numbers the version; the files are logged to the run below, under model/.
        version = mlflow_run.register(args.name)
        out = Path(tempfile.mkdtemp(prefix="trainer-version-"))
    else:
        model_dir = args.registry / args.name
        model_dir.mkdir(parents=True, exist_ok=True)
        versions = [int(p.name) for p in model_dir.iterdir() if p.is_dir() and p.name.isdigit()]
        version = str(max(versions, default=0) + 1)
        out = model_dir / version
        out.mkdir()
    (out / "model.onnx").write_bytes(blob)

    # Fixture: vectors (test rows, NaNs included) with the Python onnxruntime's and sklearn's scores.
    rng = np.random.default_rng(0)
    pick = np.sort(rng.choice(np.flatnonzero(test), size=min(args.fixture_rows, int(test.sum())), replace=False))
    fraud_rows = np.flatnonzero(test & (y == 1))[:8]
    pick = np.unique(np.concatenate([pick, fraud_rows]))
    session = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
    outputs = [o.name for o in session.get_outputs()]
    probs = session.run(None, {"input": X[pick]})[outputs.index("probabilities")][:, 1]
    sk = model.predict_proba(X[pick])[:, 1]
    write_json(
        out / "fixture.json",
        {
            "doc": "Vectors (null = NaN) and the Python onnxruntime's fraud probability for each; sklearn's for reference.",
            "vectors": [json_vector(v) for v in X[pick]],
            "onnxruntime": [float(v) for v in probs],
            "sklearn": [float(v) for v in sk],
        },
    )

    meta = {
        "name": args.name,
        "version": version,
        "created_at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "created_by": getpass.getuser(),
        "file": "model.onnx",
        "sha256": hashlib.sha256(blob).hexdigest(),
        "bytes": len(blob),
        "feature_set": {**args.feature_set, "names": names},
        "input": "input",
        "output": {"name": "probabilities", "column": 1},
        "reference_vector": json_vector(reference),
        "training_window": window,
        "algorithm": "sklearn.ensemble.HistGradientBoostingClassifier",
        "params": {"max_iter": args.trees, "max_depth": args.depth, "learning_rate": 0.1, "max_leaf_nodes": 31},
        "dataset": {"file": str(args.data), "rows": int(len(y)), "fraud": int(y.sum()), "note": args.dataset_note},
        "metrics": metrics,
        **selected,  # with --select: the chosen algorithm and params, and the selection record with every trial
    }
    if champion is not None:
        meta["champion_comparison"] = {"champion": str(args.champion), "metric": args.metric, "margin": args.margin, **{f"champion_{k}": v for k, v in champion.items()}}
    write_json(out / "metadata.json", meta)
    ref = f"{args.name}@{version}"
    if mlflow_run:
        mlflow_run.finish(blob, out, "REGISTERED", ref=ref)
    where = target.tracking_uri if target.kind == "mlflow" else out
    print(f"registered {ref} ({len(blob)} bytes) in {where}")

    if args.promote:
        if target.kind == "mlflow":
            mlflow_run.promote(ref, args.promote, args.why)
        else:
            promote(args.registry, ref, args.promote, args.why)
    write_result(args.result, candidate, champion, metrics, "REGISTERED", ref)


def evaluate_onnx(path: Path, X: np.ndarray, y: np.ndarray) -> dict:
    """A registered model's figures on rows: input and output names from its metadata.json."""
    meta_path = path.parent / "metadata.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    output = meta.get("output", {"name": "probabilities", "column": 1})
    names = [o.name for o in session.get_outputs()]
    p = session.run(None, {meta.get("input", "input"): X})[names.index(output["name"])][:, output["column"]]
    return {"roc_auc": float(roc_auc_score(y, p)), "average_precision": float(average_precision_score(y, p))}


def write_result(path, candidate, champion, metrics, decision, ref) -> None:
    if path is None:
        return
    write_json(path, {
        "decision": decision,
        "ref": ref,
        "candidate": candidate,
        "champion": champion,
        "train_rows": metrics["train_rows"],
        "train_fraud": metrics["train_fraud"],
        "test_rows": metrics["test_rows"],
        "test_fraud": metrics["test_fraud"],
    })


def promote(registry: Path, ref: str, alias: str, why: str) -> None:
    """Same format and rules as the TypeScript registry (services/scorer/src/registry/)."""
    path = registry / "aliases.json"
    state = json.loads(path.read_text()) if path.exists() else {
        "champion": None, "challenger": None, "shadow": [], "archived": [], "history": []
    }
    previous = state.get(alias) if alias in ("champion", "challenger") else None
    for a in ("shadow", "archived"):
        state[a] = [r for r in state[a] if r != ref]
    for a in ("champion", "challenger"):
        if state[a] == ref:
            state[a] = None
    if alias in ("champion", "challenger"):
        state[alias] = ref
        if previous and previous != ref:
            state["archived"].append(previous)
    else:
        state[alias].append(ref)
    state["history"].append({
        "at": datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
        "by": getpass.getuser(), "why": why, "action": "promote", "ref": ref, "alias": alias, "previous": previous,
    })
    write_json(path, state)
    print(f"{ref} is now {alias}")


if __name__ == "__main__":
    main()
