"""Held-out comparison of model selection (train.py --select) against today's reference model.

    .local/trainer-venv/bin/python services/trainer/evaluate_selection.py [--days 105] [--holdout-weeks 2] \
        [--folds 4] [--trials-per-family 4] [--seed 0] [--data file.csv] [--report reports/model-selection-<date>.md]

Builds a simulator dataset with services/scorer/scripts/build-training-set.ts (--days, seed 7, the
other options at their defaults, --with-customer) unless --data names one already built that way.
The last --holdout-weeks whole weeks (ending at the midnight after the last event) are held out;
every earlier row trains (with its eventual label, as train.py trains on the rows it is given).
Selection runs on the training rows exactly as train.py --select does (selection.run_trials, then
the chosen configuration fit on all of them); the reference is train.py's default model (gbdt, 100
trees, depth 6) fit on the same rows. Both are scored on the held-out rows: average precision, card
precision@100, ROC AUC, overall and per held-out week, with a 95 % interval for the difference
(selected - reference) from a bootstrap over held-out days (1,000 resamples, seed 0).
Writes the report as Markdown and prints, as its last line, one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import onnxruntime as ort
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.metrics import roc_auc_score

from folds import iso_ms
from ranking_metrics import DAY_MS, average_precision, card_precision_at_k
from selection import CARD_K, CARD_METRIC, FAMILY_NAMES, families, family_list, fit, load_row_keys, run_trials, single_thread
from train import load

REPO = Path(__file__).resolve().parents[2]
WEEK_MS = 7 * DAY_MS


def build_dataset(path: Path, days: int) -> None:
    command = ["npx", "tsx", "services/scorer/scripts/build-training-set.ts", "--out", str(path),
               "--days", str(days), "--with-customer"]
    print(" ".join(command), flush=True)
    subprocess.run(command, cwd=REPO, check=True)


def onnx_check(model, X: np.ndarray, p: np.ndarray) -> dict:
    """The selected model exported as train.py exports it; its size and largest difference from sklearn."""
    onx = convert_sklearn(
        model,
        initial_types=[("input", FloatTensorType([None, X.shape[1]]))],
        options={id(model): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )
    blob = onx.SerializeToString()
    session = ort.InferenceSession(blob, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    q = session.run(None, {"input": X})[names.index("probabilities")][:, 1]
    return {"bytes": len(blob), "max_abs_difference": float(np.abs(q - p).max())}


def figures(event_time, customer, y, p) -> dict:
    return {
        "average_precision": average_precision(y, p),
        CARD_METRIC: card_precision_at_k(event_time, customer, y, p, CARD_K),
        "roc_auc": float(roc_auc_score(y, p)),
        "rows": int(len(y)),
        "frauds": int(y.sum()),
    }


def bootstrap_difference(event_time, customer, y, p_sel, p_ref, n: int = 1000, seed: int = 0) -> dict:
    """95 % intervals of selected - reference, resampling whole held-out days with replacement."""
    day = event_time // DAY_MS
    days = np.unique(day)
    rows_of = [np.flatnonzero(day == d) for d in days]
    rng = np.random.default_rng(seed)
    out = {"average_precision": [], CARD_METRIC: []}
    for _ in range(n):
        pick = rng.integers(0, len(days), size=len(days))
        # Resampled days become distinct days (a day drawn twice counts twice for card precision).
        idx = np.concatenate([rows_of[i] for i in pick])
        shifted = np.concatenate([np.full(len(rows_of[i]), j * DAY_MS) for j, i in enumerate(pick)])
        t = (event_time[idx] % DAY_MS) + shifted
        yy = y[idx]
        out["average_precision"].append(average_precision(yy, p_sel[idx]) - average_precision(yy, p_ref[idx]))
        out[CARD_METRIC].append(card_precision_at_k(t, customer[idx], yy, p_sel[idx], CARD_K)
                                - card_precision_at_k(t, customer[idx], yy, p_ref[idx], CARD_K))
    return {k: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=None, help="a dataset built with --with-customer (default: build one)")
    ap.add_argument("--days", type=int, default=105)
    ap.add_argument("--holdout-weeks", type=int, default=2)
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--trials-per-family", type=int, default=4)
    ap.add_argument("--families", type=family_list, default=list(FAMILY_NAMES))
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--train-labels", choices=("eventual", "known"), default="eventual",
                    help="train on every row before the held-out weeks (eventual), or only those labelled before them (known)")
    ap.add_argument("--folds-end-weeks", type=int, default=0,
                    help="end the validation windows this many weeks before the held-out weeks (for --train-labels known)")
    ap.add_argument("--report", type=Path, default=None, help="default reports/model-selection-<UTC date>.md")
    args = ap.parse_args()
    if args.holdout_weeks < 1 or args.folds < 1 or args.trials_per_family < 1 or args.days < 7 or args.folds_end_weeks < 0:
        ap.error("--holdout-weeks, --folds and --trials-per-family must be at least 1, --days at least 7, --folds-end-weeks not negative")
    started = time.monotonic()
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    report = args.report or REPO / "reports" / f"model-selection-{today}.md"
    data = args.data
    if data is None:
        data = REPO / ".local" / "selection" / f"sim-{args.days}d.csv"
        data.parent.mkdir(parents=True, exist_ok=True)
        build_dataset(data, args.days)
    _, event_time, y, X = load(data)
    _, label_time, customer = load_row_keys(data)
    if customer is None:
        sys.exit(f"{data}: no customer_id column: build it with build-training-set.ts --with-customer")
    end = (int(event_time.max()) // DAY_MS + 1) * DAY_MS
    holdout_from = end - args.holdout_weeks * WEEK_MS
    train, test = event_time < holdout_from, event_time >= holdout_from
    if args.train_labels == "known":
        train &= label_time < holdout_from
    print(f"{len(y)} rows; train {train.sum()} ({y[train].sum()} frauds) before {iso_ms(holdout_from)}, "
          f"held out {test.sum()} ({y[test].sum()} frauds)", flush=True)

    space = families()
    search_started = time.monotonic()
    selection = run_trials(
        X[train], y[train], event_time[train], label_time[train], customer[train],
        family_names=args.families, n_folds=args.folds, trials_per_family=args.trials_per_family,
        seed=args.seed, space=space, folds_end=holdout_from - args.folds_end_weeks * WEEK_MS if args.folds_end_weeks else None,
    )
    chosen = selection["trials"][selection["chosen"]]
    selected = fit(space[chosen["family"]], chosen["params"], X[train], y[train], args.seed)
    search_seconds = time.monotonic() - search_started
    reference = fit(space["gbdt"], space["gbdt"].reference, X[train], y[train], 0)
    with single_thread():
        p_sel = selected.predict_proba(X[test])[:, 1]
        p_ref = reference.predict_proba(X[test])[:, 1]

    t, c, yy = event_time[test], customer[test], y[test]
    result = {
        "selected": figures(t, c, yy, p_sel),
        "reference": figures(t, c, yy, p_ref),
        # A perfect ranking's card precision@100: at most the compromised cards of a day fill the top 100.
        "card_precision_ceiling": card_precision_at_k(t, c, yy, yy.astype(float), CARD_K),
        "weeks": [],
        "difference_95": bootstrap_difference(t, c, yy, p_sel, p_ref),
        "selected_onnx": onnx_check(selected, X[test], p_sel),
    }
    for w in range(args.holdout_weeks):
        m = (t >= holdout_from + w * WEEK_MS) & (t < holdout_from + (w + 1) * WEEK_MS)
        result["weeks"].append({
            "from": iso_ms(holdout_from + w * WEEK_MS),
            "selected": figures(t[m], c[m], yy[m], p_sel[m]),
            "reference": figures(t[m], c[m], yy[m], p_ref[m]),
            "card_precision_ceiling": card_precision_at_k(t[m], c[m], yy[m], yy[m].astype(float), CARD_K),
        })
    summary = {
        "data": str(data), "rows": int(len(y)), "train_rows": int(train.sum()), "holdout_rows": int(test.sum()),
        "holdout_from": iso_ms(holdout_from), "train_labels": args.train_labels, "chosen": {"family": chosen["family"], "params": chosen["params"]},
        "search_seconds": round(search_seconds, 1), "total_seconds": round(time.monotonic() - started, 1),
        **result,
    }
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(markdown(args, data, summary, selection))
    print(f"report: {report}")
    print(json.dumps(summary))


def markdown(args, data: Path, s: dict, selection: dict) -> str:
    def f(v: float) -> str:
        return f"{v:.3f}"

    lines = [
        f"# Model selection against the reference model ({datetime.now(timezone.utc).strftime('%Y-%m-%d')})",
        "",
        "Made by `services/trainer/evaluate_selection.py` "
        f"(`--days {args.days} --holdout-weeks {args.holdout_weeks} --folds {args.folds} "
        f"--trials-per-family {args.trials_per_family} --families {','.join(args.families)} --seed {args.seed} "
        f"--train-labels {args.train_labels} --folds-end-weeks {args.folds_end_weeks}`), "
        f"on `{data.relative_to(REPO) if data.is_relative_to(REPO) else data}`: "
        f"`build-training-set.ts --days {args.days} --with-customer` (simulator seed 7, 600 customers, "
        "600 terminals, fraud rate 0.03).",
        "",
        f"- **Rows**: {s['rows']:,}; training {s['train_rows']:,} ("
        + (f"every row before {s['holdout_from']}, with its eventual label" if args.train_labels == "eventual"
           else f"the rows labelled before {s['holdout_from']}: what a retraining then would have")
        + f"); held out {s['holdout_rows']:,} (the last {args.holdout_weeks} weeks).",
        "- **Selected**: the search of `train.py --select` on the training rows, the chosen configuration "
        "refit on all of them. **Reference**: `train.py` without `--select` (HistGradientBoosting, 100 trees, "
        "depth 6, learning rate 0.1, 31 leaves) on the same rows.",
        f"- **Selected model's ONNX export** (as train.py exports it): {s['selected_onnx']['bytes']:,} bytes, "
        f"largest difference from sklearn on the held-out rows {s['selected_onnx']['max_abs_difference']:.1e}.",
        f"- **Search time**: {s['search_seconds']:.0f} s on this 2-core machine (shared, busy), whole run "
        f"{s['total_seconds']:.0f} s.",
        "",
        "## Held-out weeks",
        "",
        "| | average precision | card precision@100 | ROC AUC |",
        "| --- | --- | --- | --- |",
        f"| reference (gbdt, today's params) | {f(s['reference']['average_precision'])} | {f(s['reference'][CARD_METRIC])} | {f(s['reference']['roc_auc'])} |",
        f"| selected ({s['chosen']['family']}) | {f(s['selected']['average_precision'])} | {f(s['selected'][CARD_METRIC])} | {f(s['selected']['roc_auc'])} |",
        f"| difference, 95 % interval (bootstrap over days) | {f(s['difference_95']['average_precision'][0])} .. {f(s['difference_95']['average_precision'][1])} "
        f"| {f(s['difference_95'][CARD_METRIC][0])} .. {f(s['difference_95'][CARD_METRIC][1])} | |",
        f"| perfect ranking (ceiling) | 1 | {f(s['card_precision_ceiling'])} | 1 |",
        "",
        f"Card precision@100's ceiling is {f(s['card_precision_ceiling'])}: the simulator's 600 customers have about "
        f"{round(s['card_precision_ceiling'] * 100)} compromised cards a day, so even a perfect ranking fills most of "
        "the top 100 with genuine cards, and the metric separates models only by a few cards a day.",
        "",
        "Per held-out week (reference / selected):",
        "",
        "| week from | rows | frauds | average precision | card precision@100 (ceiling) |",
        "| --- | --- | --- | --- | --- |",
    ]
    for w in s["weeks"]:
        r, sel = w["reference"], w["selected"]
        lines.append(f"| {w['from'][:10]} | {r['rows']:,} | {r['frauds']} | {f(r['average_precision'])} / {f(sel['average_precision'])} "
                     f"| {f(r[CARD_METRIC])} / {f(sel[CARD_METRIC])} ({f(w['card_precision_ceiling'])}) |")
    lines += [
        "",
        f"## Selection (chosen: trial {selection['chosen']}, {s['chosen']['family']} {json.dumps(s['chosen']['params'])})",
        "",
        f"Why: {selection['reason']}. Rule: {selection['rule']}.",
        "",
        "Folds (validation week; training = rows whose label was known before it):",
        "",
        "| fold | validates | train rows | validation rows |",
        "| --- | --- | --- | --- |",
    ]
    for fold in selection["folds"]:
        lines.append(f"| {fold['fold']} | {fold['valid_from'][:10]} .. {fold['valid_to'][:10]} | {fold['train_rows']:,} | {fold['valid_rows']:,} |")
    lines += [
        "",
        "| trial | family | params | AP per fold | mean AP | card precision@100 per fold | mean card precision@100 | s |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for t in selection["trials"]:
        aps = " ".join(f(r["average_precision"]) for r in t["folds"])
        cps = " ".join(f(r[CARD_METRIC]) for r in t["folds"])
        mark = " **(chosen)**" if t["trial"] == selection["chosen"] else ""
        lines.append(f"| {t['trial']}{mark} | {t['family']} | `{json.dumps(t['params'])}` | {aps} | {f(t['average_precision'])} | {cps} "
                     f"| {f(t[CARD_METRIC])} | {t['seconds']:.0f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
