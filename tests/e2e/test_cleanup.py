"""Nothing is left behind in the temp folder by `demo --in-process`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from shared.app.settings import APP_ROOT


def test_demo_in_process_leaves_no_state_folder_behind(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AZURE", "AZUREML", "REACTOR_"))}
    env |= {"TMPDIR": str(temp), "REACTOR_MODE": "local", "REACTOR_STATE_DIR": str(tmp_path / "unused")}
    done = subprocess.run(
        [sys.executable, "-m", "shared", "demo", "--in-process"],
        cwd=APP_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "credit-risk:1: production" in done.stdout
    assert list(temp.iterdir()) == []
