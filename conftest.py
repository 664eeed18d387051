"""Session-wide test hygiene: every temporary folder a test run makes is removed when it ends."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator

import pytest


@pytest.fixture(autouse=True, scope="session")
def temporary_folders_removed_after_the_run() -> Iterator[None]:
    """Point tempfile (and, through TMPDIR, every subprocess) at one folder, and remove it at the end.

    Tests that make state folders with tempfile.mkdtemp (hypothesis examples cannot take tmp_path) would
    otherwise leave hundreds of them behind on every run.
    """
    folder = tempfile.mkdtemp(prefix="mlops-reactor-tests-")
    saved_dir, saved_env = tempfile.tempdir, os.environ.get("TMPDIR")
    tempfile.tempdir, os.environ["TMPDIR"] = folder, folder
    try:
        yield
    finally:
        tempfile.tempdir = saved_dir
        if saved_env is None:
            os.environ.pop("TMPDIR", None)
        else:
            os.environ["TMPDIR"] = saved_env
        shutil.rmtree(folder, ignore_errors=True)
