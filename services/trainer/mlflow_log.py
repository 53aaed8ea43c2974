"""The trainer's MLflow side: run logging (tracking) and, with MODEL_REGISTRY=mlflow, registration
and alias moves in MLflow's model registry, in the layout services/scorer/src/registry/mlflow-registry.ts
reads (keep the two in step):

- a version's source is its run's `model/` folder: model.onnx, metadata.json, fixture.json;
- the registry is the registered models tagged `pipeline.registry=<MLFLOW_REGISTRY_SCOPE>`;
- aliases `champion`, `challenger`, `shadow-<version>`, `archived-<version>`;
- every alias change a registered-model tag `pipeline.history.<epoch ms, 15 digits>.<nonce>` holding
  {at, by, why, action, ref, alias, previous} as JSON.
"""

from __future__ import annotations

import atexit
import getpass
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

SCOPE_TAG = "pipeline.registry"
HISTORY_TAG = "pipeline.history."
REGISTRY_KINDS = ("file", "mlflow")


@dataclass(frozen=True)
class Target:
    kind: str
    tracking_uri: str | None
    scope: str
    experiment: str


def registry_target(env) -> Target:
    """MODEL_REGISTRY (file|mlflow, default file), MLFLOW_TRACKING_URI, MLFLOW_REGISTRY_SCOPE, MLFLOW_EXPERIMENT_NAME."""
    kind = env.get("MODEL_REGISTRY") or "file"
    if kind not in REGISTRY_KINDS:
        sys.exit(f"invalid configuration: MODEL_REGISTRY must be one of {', '.join(REGISTRY_KINDS)} (got '{kind}')")
    uri = env.get("MLFLOW_TRACKING_URI") or None
    if kind == "mlflow" and uri is None:
        sys.exit("invalid configuration: MLFLOW_TRACKING_URI is not set (MODEL_REGISTRY=mlflow registers there)")
    if uri is not None and not uri.startswith(("http://", "https://")):
        sys.exit(f"invalid configuration: MLFLOW_TRACKING_URI must be an http or https URL (got '{uri}')")
    scope = env.get("MLFLOW_REGISTRY_SCOPE") or "pipeline"
    return Target(kind, uri, scope, env.get("MLFLOW_EXPERIMENT_NAME") or "pipeline-trainer")


def _iso_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def mlflow_alias(alias: str, version: str) -> str:
    return alias if alias in ("champion", "challenger") else f"{alias}-{version}"


class MlflowTarget:
    """One training run in MLflow; ended FAILED if the script stops before `finish`."""

    def __init__(self, target: Target, client, run):
        self.target = target
        self.client = client
        self.run = run
        self.run_id = run.info.run_id
        self.finished = False
        self.feature_set = ""
        atexit.register(self._end_if_unfinished)

    @staticmethod
    def start(target: Target, args) -> "MlflowTarget":
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=target.tracking_uri, registry_uri=target.tracking_uri)
        experiment = client.get_experiment_by_name(target.experiment)
        experiment_id = experiment.experiment_id if experiment else client.create_experiment(target.experiment)
        run = client.create_run(
            experiment_id,
            run_name=f"{args.name} {_iso_now()}",
            tags={"mlflow.user": getpass.getuser(), "mlflow.source.name": "services/trainer/train.py", "pipeline.why": args.why},
        )
        self = MlflowTarget(target, client, run)
        fs = args.feature_set
        self.feature_set = f"{fs['name']}@{fs['version']}"
        self._params(
            {
                "model_name": args.name,
                "feature_set": f"{fs['name']}@{fs['version']}",
                "algorithm": "sklearn.ensemble.HistGradientBoostingClassifier",
                "max_iter": args.trees,
                "max_depth": args.depth,
                "learning_rate": 0.1,
                "max_leaf_nodes": 31,
                "test_share": args.test_share if args.eval_data is None else "eval-data",
                "metric": args.metric,
                "margin": args.margin,
                "data": str(args.data),
                "eval_data": str(args.eval_data) if args.eval_data else "",
                "dataset_note": args.dataset_note[:500],
            }
        )
        print(f"MLflow run {self.run_id} in experiment '{target.experiment}' at {target.tracking_uri}")
        return self

    def _params(self, params: dict) -> None:
        from mlflow.entities import Param

        self.client.log_batch(self.run_id, params=[Param(k, str(v)) for k, v in params.items()])

    def log_training(self, window: dict, metrics: dict, champion: dict | None, names: list[str]) -> None:
        """The training window (params), the figures (metrics) and the feature-set contract (an artifact)."""
        from mlflow.entities import Metric

        self._params({f"window_{k}": v for k, v in window.items()} | {"n_features": len(names)})
        flat = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
        flat |= {f"precision_at_{k}": v for k, v in metrics["precision_at_k"].items()}
        if champion:
            flat |= {f"champion_{k}": v for k, v in champion.items()}
        now = int(time.time() * 1000)
        self.client.log_batch(self.run_id, metrics=[Metric(k, float(v), now, 0) for k, v in flat.items()])
        contract = {"feature_set": self.feature_set, "names": names}
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "feature_set.json"
            path.write_text(json.dumps(contract, indent=2))
            self.client.log_artifact(self.run_id, str(path))

    def register(self, name: str) -> str:
        """A new version of `name` in the registry's scope, its source the run's model/ folder."""
        from mlflow.exceptions import MlflowException

        try:
            model = self.client.get_registered_model(name)
        except MlflowException as error:
            if error.error_code != "RESOURCE_DOES_NOT_EXIST":
                raise
            model = self.client.create_registered_model(name, tags={SCOPE_TAG: self.target.scope})
        if model.tags.get(SCOPE_TAG) != self.target.scope:
            sys.exit(f"registered model {name} is not tagged {SCOPE_TAG}={self.target.scope} in MLflow: not this registry's")
        source = f"{self.run.info.artifact_uri}/model"
        version = self.client.create_model_version(name, source, run_id=self.run_id).version
        return str(version)

    def finish(self, blob: bytes, out: Path | None, decision: str, ref: str | None = None) -> None:
        """The model files under model/ (a rejected candidate's ONNX too), the decision, the run ended."""
        if out is None:
            with tempfile.TemporaryDirectory() as tmp:
                (Path(tmp) / "model.onnx").write_bytes(blob)
                self.client.log_artifact(self.run_id, str(Path(tmp) / "model.onnx"), "model")
        else:
            for file in ("model.onnx", "metadata.json", "fixture.json"):
                self.client.log_artifact(self.run_id, str(out / file), "model")
        self.client.set_tag(self.run_id, "pipeline.decision", decision)
        if ref:
            self.client.set_tag(self.run_id, "pipeline.registered_ref", ref)
        self.client.set_terminated(self.run_id, "FINISHED")
        self.finished = True

    def promote(self, ref: str, alias: str, why: str) -> None:
        """As the TypeScript registry's promote: a replaced champion/challenger is archived; the change recorded."""
        name, _, version = ref.partition("@")
        models = self.client.search_registered_models(filter_string=f"tags.`{SCOPE_TAG}` = '{self.target.scope}'")
        previous = None
        if alias in ("champion", "challenger"):
            for m in models:
                if alias in m.aliases:
                    previous = f"{m.name}@{m.aliases[alias]}"
        own = next((m for m in models if m.name == name), None)
        ours = lambda a: a in ("champion", "challenger") or a.startswith(("shadow-", "archived-"))  # noqa: E731
        old_aliases = [a for a, v in (own.aliases.items() if own else []) if str(v) == version and ours(a)]
        new_alias = mlflow_alias(alias, version)
        self.client.set_registered_model_alias(name, new_alias, version)
        if previous and previous != ref:
            p_name, _, p_version = previous.partition("@")
            self.client.set_registered_model_alias(p_name, mlflow_alias("archived", p_version), p_version)
            if p_name != name:
                self.client.delete_registered_model_alias(p_name, alias)
        for old in old_aliases:
            if old != new_alias:
                self.client.delete_registered_model_alias(name, old)
        at = _iso_now()
        by = getpass.getuser()
        change = {"at": at, "by": by, "why": why, "action": "promote", "ref": ref, "alias": alias, "previous": previous}
        ms = int(datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() * 1000)
        key = f"{HISTORY_TAG}{ms:015d}.{os.getpid()}-0"
        self.client.set_registered_model_tag(name, key, json.dumps(change))
        for k, v in (("pipeline.alias", alias), ("pipeline.alias_by", by), ("pipeline.alias_why", why), ("pipeline.alias_at", at)):
            self.client.set_model_version_tag(name, version, k, v)
        print(f"{ref} is now {alias}")

    def _end_if_unfinished(self) -> None:
        if not self.finished:
            try:
                self.client.set_terminated(self.run_id, "FAILED")
            except Exception:  # noqa: BLE001 - best effort while exiting
                pass
