"""Train a classifier on the training data and write it as a model folder that the pipeline registers."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import joblib
import mlflow
from common import MODEL_FILE, read_folder
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--training_data", required=True)
    parser.add_argument("--model_name", required=True)
    parser.add_argument("--label_column", default="label")
    parser.add_argument("--model_output", required=True)
    args = parser.parse_args()

    data = read_folder(args.training_data)
    labels = data.pop(args.label_column)
    x_train, x_valid, y_train, y_valid = train_test_split(data, labels, test_size=0.2, random_state=0, stratify=labels)
    model = GradientBoostingClassifier(random_state=0).fit(x_train, y_train)
    valid_auc = float(roc_auc_score(y_valid, model.predict_proba(x_valid)[:, 1]))
    mlflow.log_metric("valid_auc", valid_auc)
    mlflow.log_param("model_name", args.model_name)
    # The pipeline output `model` (type custom_model, named after the model) is registered by Azure ML
    # when the job completes: that registration is what sends the new version through the offline test.
    out = Path(args.model_output)
    out.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, out / MODEL_FILE)
    (out / "training.json").write_text(
        json.dumps({"model_name": args.model_name, "valid_auc": valid_auc, "features": list(data.columns)}, indent=2)
    )


if __name__ == "__main__":
    main()
