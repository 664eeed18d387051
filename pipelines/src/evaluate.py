"""Evaluate the model under test (and the champion, when given) on the same data; log metrics with MLflow."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import mlflow
import numpy as np
from common import load_model, read_folder
from sklearn.metrics import accuracy_score, roc_auc_score


def score(model, features, labels) -> dict[str, float]:
    """AUC, accuracy and the p95 latency of a one-row prediction, in milliseconds."""
    proba = model.predict_proba(features)[:, 1]
    timings = []
    for i in range(min(len(features), 200)):
        start = time.perf_counter()
        model.predict_proba(features.iloc[[i]])
        timings.append((time.perf_counter() - start) * 1000)
    return {
        "auc": float(roc_auc_score(labels, proba)),
        "accuracy": float(accuracy_score(labels, (proba >= 0.5).astype(int))),
        "latency_ms": float(np.percentile(timings, 95)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--champion_model")
    parser.add_argument("--test_data", required=True)
    parser.add_argument("--label_column", default="label")
    parser.add_argument("--report", required=True)
    args = parser.parse_args()

    data = read_folder(args.test_data)
    labels = data.pop(args.label_column)
    metrics = score(load_model(args.model), data, labels)
    if args.champion_model:
        champion = score(load_model(args.champion_model), data, labels)
        metrics.update({f"champion_{name}": value for name, value in champion.items()})
    # Azure ML sets the MLflow tracking URI and the run for the step: metrics land on this step's run,
    # a child of the pipeline job, where MLOps Reactor reads them.
    mlflow.log_metrics(metrics)
    Path(args.report).mkdir(parents=True, exist_ok=True)
    (Path(args.report) / "metrics.json").write_text(json.dumps(metrics, indent=2))
    print(json.dumps(metrics))


if __name__ == "__main__":
    main()
