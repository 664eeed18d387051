"""Shared by the pipeline steps: read a CSV folder, load a model folder."""

from __future__ import annotations

from pathlib import Path

import joblib
import pandas as pd

MODEL_FILE = "model.pkl"


def read_folder(folder: str) -> pd.DataFrame:
    """Every CSV file under a uri_folder input, concatenated."""
    files = sorted(Path(folder).rglob("*.csv"))
    if not files:
        raise SystemExit(f"no CSV file under {folder}")
    return pd.concat((pd.read_csv(f) for f in files), ignore_index=True)


def load_model(folder: str):
    """A scikit-learn estimator from a custom_model folder (model.pkl) or an MLflow model folder (MLmodel)."""
    root = Path(folder)
    if (root / "MLmodel").is_file():
        import mlflow.sklearn

        return mlflow.sklearn.load_model(str(root))
    candidates = [root] if root.is_file() else sorted(root.rglob("*.pkl")) + sorted(root.rglob("*.joblib"))
    if not candidates:
        raise SystemExit(f"no model file (MLmodel, *.pkl, *.joblib) under {folder}")
    return joblib.load(candidates[0])
