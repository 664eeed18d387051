"""Real Azurite Table and Blob services for the contract tests: each started once per session, stopped at the end."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.app.settings import APP_ROOT

AZURITE = APP_ROOT / "tools" / "node_modules" / ".bin" / "azurite-table"
AZURITE_BLOB = AZURITE.with_name("azurite-blob")
# The well-known development account every Azurite instance has (not a secret).
DEV_ACCOUNT = "devstoreaccount1"
DEV_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def connection_string(port: int, service: str = "table") -> str:
    """The connection string of the dev account's Table (or Blob) service on a local port."""
    return (
        f"DefaultEndpointsProtocol=http;AccountName={DEV_ACCOUNT};AccountKey={DEV_KEY};"
        f"{service.capitalize()}Endpoint=http://127.0.0.1:{port}/{DEV_ACCOUNT};"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"Azurite is required in CI: {reason} (run `npm ci --prefix tools`)")
    pytest.skip(reason)


def start(log: Path, service: str = "table") -> tuple[subprocess.Popen[bytes], int]:
    """Start an in-memory Azurite Table (or Blob) service on a free port, its output in `log`; wait until it listens.

    RuntimeError (with the end of its log) if it did not start within 30 s.
    """
    port = _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(AZURITE if service == "table" else AZURITE_BLOB),
                "--inMemoryPersistence",
                f"--{service}Host",
                "127.0.0.1",
                f"--{service}Port",
                str(port),
                "--skipApiVersionCheck",
                "--loose",
                "--disableTelemetry",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while not _listening(port):
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            raise RuntimeError(f"Azurite did not start: {log.read_text(errors='replace')[-500:]}")
        time.sleep(0.1)
    return process, port


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop it, killing it if it does not stop within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A connection string to a fresh in-memory Azurite Table service."""
    if not AZURITE.exists():
        _unavailable(f"{AZURITE} not found")
    try:
        process, port = start(Path(tmp_path_factory.mktemp("azurite")) / "azurite.log")
    except RuntimeError as exc:
        _unavailable(str(exc))
        return
    try:
        yield connection_string(port)
    finally:
        stop(process)


@pytest.fixture(scope="session")
def azurite_blob(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A connection string to a fresh in-memory Azurite Blob service."""
    if not AZURITE_BLOB.exists():
        _unavailable(f"{AZURITE_BLOB} not found")
    try:
        process, port = start(Path(tmp_path_factory.mktemp("azurite-blob")) / "azurite.log", "blob")
    except RuntimeError as exc:
        _unavailable(str(exc))
        return
    try:
        yield connection_string(port, "blob")
    finally:
        stop(process)
