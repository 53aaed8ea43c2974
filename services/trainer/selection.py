"""Model selection for train.py --select: a seeded search over model families and their
hyperparameters, validated on prequential folds that respect the label delay (folds.py), chosen by
average precision with card precision@100 as the tie-break (ranking_metrics.py), then refit on every
training row.

Families (--families, comma-separated):
- gbdt: HistGradientBoostingClassifier, NaN handled natively. Its first trial is today's reference
  configuration (--trees, --depth, learning rate 0.1, 31 leaves), so the search always weighs it.
- rf: RandomForestClassifier after median imputation (skl2onnx ignores the forest's own NaN routing,
  so its ONNX scores would differ on NaN; an imputer exports exactly).
- logreg: LogisticRegression after median imputation and standard scaling.
Each family's first trial is its reference point; the other --trials-per-family - 1 are drawn
without replacement from its grid with --seed.

Choice: the trial with the highest mean average precision over the folds; trials within
AP_TOLERANCE of it count as tied (fold-to-fold noise is larger than that) and among them the highest
mean card precision@100 wins; then the earlier trial (reference points come first).
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
import warnings
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import ParameterGrid
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from folds import FoldError, prequential_folds
from ranking_metrics import average_precision, card_precision_at_k

AP_TOLERANCE = 0.005
CARD_K = 100
CARD_METRIC = f"card_precision_at_{CARD_K}"


@dataclass(frozen=True)
class Family:
    name: str
    algorithm: str
    grid: dict
    reference: dict
    build: Callable[[dict, int], object]


def _gbdt(params: dict, seed: int):
    return HistGradientBoostingClassifier(early_stopping=False, random_state=seed, **params)


def _rf(params: dict, seed: int):
    forest = RandomForestClassifier(n_jobs=-1, random_state=seed, **params)
    return Pipeline([("impute", SimpleImputer(strategy="median")), ("model", forest)])


def _logreg(params: dict, seed: int):
    model = LogisticRegression(max_iter=2000, random_state=seed, **params)
    return Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler()), ("model", model)])


def families(trees: int = 100, depth: int = 6) -> dict[str, Family]:
    """The search spaces; gbdt's reference point is train.py's configuration (--trees, --depth)."""
    return {
        "gbdt": Family(
            "gbdt",
            "sklearn.ensemble.HistGradientBoostingClassifier",
            {
                "learning_rate": [0.05, 0.1],
                "max_iter": [100, 200, 300],
                "max_depth": [4, 6, 8],
                "max_leaf_nodes": [15, 31],
                "l2_regularization": [0.0, 1.0],
            },
            {"learning_rate": 0.1, "max_iter": trees, "max_depth": depth, "max_leaf_nodes": 31, "l2_regularization": 0.0},
            _gbdt,
        ),
        "rf": Family(
            "rf",
            "sklearn.pipeline.Pipeline(SimpleImputer(median), sklearn.ensemble.RandomForestClassifier)",
            {
                "n_estimators": [100, 200],
                "max_depth": [8, 12, 16],
                "min_samples_leaf": [5, 20],
                "max_features": ["sqrt", 0.3],
                "max_samples": [0.3, 0.6],
            },
            {"n_estimators": 100, "max_depth": 12, "min_samples_leaf": 5, "max_features": "sqrt", "max_samples": 0.6},
            _rf,
        ),
        "logreg": Family(
            "logreg",
            "sklearn.pipeline.Pipeline(SimpleImputer(median), StandardScaler, sklearn.linear_model.LogisticRegression)",
            {"C": [0.01, 0.1, 1.0, 10.0], "class_weight": [None, "balanced"]},
            {"C": 1.0, "class_weight": None},
            _logreg,
        ),
    }


FAMILY_NAMES = tuple(families())


def sample_params(family: Family, n: int, rng: np.random.Generator) -> list[dict]:
    """The reference point, then n - 1 distinct grid points drawn with rng (fewer if the grid is smaller)."""
    grid = [p for p in ParameterGrid(family.grid) if p != family.reference]
    picks = rng.choice(len(grid), size=min(n - 1, len(grid)), replace=False) if n > 1 else []
    return [dict(family.reference)] + [grid[i] for i in picks]


def fit(family: Family, params: dict, X: np.ndarray, y: np.ndarray, seed: int):
    model = family.build(params, seed)
    with warnings.catch_warnings(), single_thread():
        warnings.simplefilter("ignore")  # lbfgs convergence notes on the weakest C: the fold metrics judge the fit
        model.fit(X, y)
    return model


def single_thread():
    """One thread for OpenMP and BLAS during the search: HistGradientBoosting's OpenMP threads spin while
    they wait, and on a shared, busy 2-core machine a 2-thread fit of 50,000 rows took 6.5 to 18 s
    against 0.9 to 1.2 s with one thread (measured). The forest's own joblib threads are not affected."""
    return threadpool_limits(limits=1)


def run_trials(
    X: np.ndarray,
    y: np.ndarray,
    event_time: np.ndarray,
    label_time: np.ndarray,
    customer: np.ndarray,
    *,
    family_names: list[str],
    n_folds: int,
    trials_per_family: int,
    seed: int,
    space: dict[str, Family] | None = None,
    fold_days: int = 7,
    folds_end: int | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Every trial on every fold; returns the selection record (plain data, stored in metadata.json)."""
    space = space or families()
    folds = prequential_folds(event_time, label_time, y, n_folds, fold_days, folds_end)
    for f in folds:
        log(f"fold {f.index}: validate {f.describe()['valid_from']} .. {f.describe()['valid_to']} "
            f"({int(f.valid.sum())} rows, {int(y[f.valid].sum())} frauds), train on labels known before it "
            f"({int(f.train.sum())} rows, {int(y[f.train].sum())} frauds)")
    rng = np.random.default_rng(seed)
    trials = []
    for name in family_names:
        family = space[name]
        for params in sample_params(family, trials_per_family, rng):
            started = time.monotonic()
            per_fold = []
            for f in folds:
                model = fit(family, params, X[f.train], y[f.train], seed)
                with single_thread():
                    p = model.predict_proba(X[f.valid])[:, 1]
                per_fold.append({
                    "fold": f.index,
                    "average_precision": average_precision(y[f.valid], p),
                    CARD_METRIC: card_precision_at_k(event_time[f.valid], customer[f.valid], y[f.valid], p, CARD_K),
                })
            trial = {
                "trial": len(trials),
                "family": name,
                "algorithm": family.algorithm,
                "params": params,
                "average_precision": float(np.mean([r["average_precision"] for r in per_fold])),
                CARD_METRIC: float(np.mean([r[CARD_METRIC] for r in per_fold])),
                "folds": per_fold,
                "seconds": round(time.monotonic() - started, 1),
            }
            trials.append(trial)
            log(f"trial {trial['trial']:2d} {name:6s} AP {trial['average_precision']:.4f} ({_per_fold(per_fold, 'average_precision')}), "
                f"card precision@{CARD_K} {trial[CARD_METRIC]:.4f} ({_per_fold(per_fold, CARD_METRIC)}) {trial['seconds']} s {params}")
    chosen, reason = choose(trials)
    log(f"chosen: trial {chosen} ({trials[chosen]['family']}): {reason}")
    return {
        "rule": f"highest mean average precision over the folds; within {AP_TOLERANCE} of it, highest mean "
                f"{CARD_METRIC}; then the earlier trial",
        "families": family_names,
        "trials_per_family": trials_per_family,
        "seed": seed,
        "folds": [f.describe() for f in folds],
        "trials": trials,
        "chosen": chosen,
        "reason": reason,
    }


def _per_fold(rows: list[dict], key: str) -> str:
    return " ".join(f"{r[key]:.3f}" for r in rows)


def choose(trials: list[dict], tolerance: float = AP_TOLERANCE) -> tuple[int, str]:
    """Index of the chosen trial and why (see the module doc). NaN metrics never win."""
    def value(t: dict, key: str) -> float:
        v = t[key]
        return -math.inf if v is None or math.isnan(v) else v

    if not trials:
        raise ValueError("no trials to choose from")
    best_ap = max(value(t, "average_precision") for t in trials)
    tied = [t for t in trials if value(t, "average_precision") >= best_ap - tolerance]
    winner = max(tied, key=lambda t: (value(t, CARD_METRIC), -t["trial"]))
    if len(tied) == 1:
        reason = f"highest mean average precision ({winner['average_precision']:.4f})"
    else:
        standing = ("the highest" if winner["average_precision"] == best_ap else f"within {tolerance} of the best ({best_ap:.4f})")
        reason = (
            f"mean average precision {winner['average_precision']:.4f}, {standing}, tied within {tolerance} with "
            f"{len(tied) - 1} other trial(s); the highest mean {CARD_METRIC} among them ({winner[CARD_METRIC]:.4f})"
        )
    return winner["trial"], reason


def trials_for_logging(selection: dict) -> list[dict]:
    """The hook for experiment tracking (e.g. MLflow): one plain dict per trial, with flat params
    (family included) and flat metrics (means and per fold), and whether it was chosen."""
    out = []
    for t in selection["trials"]:
        metrics = {"average_precision": t["average_precision"], CARD_METRIC: t[CARD_METRIC]}
        for r in t["folds"]:
            metrics[f"fold_{r['fold']}_average_precision"] = r["average_precision"]
            metrics[f"fold_{r['fold']}_{CARD_METRIC}"] = r[CARD_METRIC]
        out.append({
            "name": f"trial-{t['trial']}-{t['family']}",
            "params": {"family": t["family"], **{k: str(v) if v is None else v for k, v in t["params"].items()}},
            "metrics": metrics,
            "chosen": t["trial"] == selection["chosen"],
        })
    return out


# ---- train.py's command line -------------------------------------------------------------------


def family_list(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in FAMILY_NAMES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"'{text}': families are a comma-separated list of {', '.join(FAMILY_NAMES)}")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"'{text}' names a family twice")
    return names


def at_least(minimum: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"'{text}' is not an integer") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is below the minimum {minimum}")
        return value

    return parse


def utc_date(text: str) -> int:
    """YYYY-MM-DD as ms since the epoch at that UTC midnight."""
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date like 2026-03-01") from None
    return int(day.timestamp() * 1000)


def add_selection_arguments(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("model selection (off unless --select)")
    g.add_argument("--select", action="store_true", help="search families and hyperparameters on prequential folds")
    g.add_argument("--families", type=family_list, default=None, help=f"comma-separated, of {','.join(FAMILY_NAMES)} (default: all)")
    g.add_argument("--folds", type=at_least(1), default=None, help="prequential validation folds (default 4)")
    g.add_argument("--fold-days", type=at_least(1), default=None, help="days per validation window (default 7)")
    g.add_argument("--trials-per-family", type=at_least(1), default=None, help="default 4")
    g.add_argument("--seed", type=int, default=None, help="search and model seed (default 0)")
    g.add_argument("--folds-end", type=utc_date, default=None,
                   help="YYYY-MM-DD: validation windows end at this UTC midnight (default: after the last event); "
                        "for data whose newest labels are not all in yet")


SELECTION_DEFAULTS = {"families": list(FAMILY_NAMES), "folds": 4, "fold_days": 7, "trials_per_family": 4, "seed": 0, "folds_end": None}


def check_selection_arguments(ap: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Selection options without --select are a mistake, not silently ignored; fills the defaults."""
    given = [k for k in SELECTION_DEFAULTS if getattr(args, k) is not None]
    if given and not args.select:
        ap.error(f"--{given[0].replace('_', '-')} needs --select")
    for k, v in SELECTION_DEFAULTS.items():
        if getattr(args, k) is None:
            setattr(args, k, v)


def load_row_keys(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """event_time, label_time and customer_id (None without that column) of a trainer CSV."""
    with path.open(newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        has_customer = header[4:5] == ["customer_id"]
        times, labels, customers = [], [], []
        for line in reader:
            times.append(int(line[1]))
            labels.append(int(line[3]))
            if has_customer:
                customers.append(line[4])
    return np.array(times, dtype=np.int64), np.array(labels, dtype=np.int64), np.array(customers) if has_customer else None


def select_and_fit(args: argparse.Namespace, train: np.ndarray, X: np.ndarray, y: np.ndarray):
    """train.py's --select: trials on the training rows of args.data, then the chosen configuration
    fit on all of them. Returns the model and the metadata entries (algorithm, params, selection)."""
    event_time, label_time, customer = load_row_keys(args.data)
    n = len(event_time)
    if customer is None:
        sys.exit(f"{args.data}: --select needs a customer_id column after label_time (card precision@{CARD_K}); "
                 "build-training-set.ts writes it with --with-customer")
    if train[n:].any():
        sys.exit("--select: training rows outside --data")
    rows = train[:n]
    space = families(args.trees, args.depth)
    try:
        selection = run_trials(
            X[:n][rows], y[:n][rows], event_time[rows], label_time[rows], customer[rows],
            family_names=args.families, n_folds=args.folds, trials_per_family=args.trials_per_family,
            seed=args.seed, space=space, fold_days=args.fold_days, folds_end=args.folds_end,
        )
    except FoldError as e:
        sys.exit(f"--select: {e}")
    chosen = selection["trials"][selection["chosen"]]
    family = space[chosen["family"]]
    model = fit(family, chosen["params"], X[:n][rows], y[:n][rows], args.seed)
    return model, {"algorithm": family.algorithm, "params": chosen["params"], "selection": selection}
