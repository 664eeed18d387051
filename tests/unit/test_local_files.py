"""The outbox and the recording deployer write atomically, and a torn file never counts as sent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from shared.adapters import files
from shared.adapters.cd.recorder import RecordingDeployer
from shared.adapters.notify.outbox import OutboxNotifier
from shared.core.actions import Notify, TriggerCD

NOTICE = Notify(key="alert:exp:2026-11-22T09:00", channel="oncall", template="run_failed", title="Run failed")
REQUEST = TriggerCD(
    key="credit-risk:1:staging", environment="staging", target="local", model="credit-risk", version="1"
)


class Crash(Exception):
    """The process dies at this point."""


def crash_on_rename(monkeypatch: pytest.MonkeyPatch) -> None:
    def rename(source: object, target: object) -> None:
        raise Crash

    monkeypatch.setattr(files.os, "replace", rename)


def test_a_notice_torn_by_a_crash_is_not_counted_and_the_retry_writes_it(tmp_path: Path) -> None:
    outbox = OutboxNotifier(tmp_path / "outbox", console=None)
    (tmp_path / "outbox" / "run_failed-torn.json").write_text("")  # what a crash mid-write left before
    (tmp_path / "outbox" / "run_failed-half.json").write_text('{"key": "x", "chan')
    assert outbox.sent() == []
    outbox.send(NOTICE)
    assert outbox.sent() == [NOTICE]


def test_a_crash_while_writing_a_notice_leaves_nothing_that_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outbox = OutboxNotifier(tmp_path / "outbox", console=None)
    with monkeypatch.context() as patched:
        crash_on_rename(patched)
        with pytest.raises(Crash):
            outbox.send(NOTICE)
    assert outbox.sent() == []
    assert list((tmp_path / "outbox").iterdir()) == []  # no temporary file left behind either
    outbox.send(NOTICE)  # the redelivery sends it
    assert outbox.sent() == [NOTICE]


def test_an_empty_notice_file_with_the_same_key_is_written_again(tmp_path: Path) -> None:
    outbox = OutboxNotifier(tmp_path / "outbox", console=None)
    outbox.send(NOTICE)
    [written] = (tmp_path / "outbox").glob("*.json")
    written.write_text("")  # as a kill -9 between open and write left it, before atomic writes
    outbox.send(NOTICE)
    assert outbox.sent() == [NOTICE]


def test_a_cd_request_torn_by_a_crash_is_not_counted_and_the_retry_records_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deployer = RecordingDeployer(tmp_path / "cd")
    with monkeypatch.context() as patched:
        crash_on_rename(patched)
        with pytest.raises(Crash):
            deployer.deploy(REQUEST)
    assert deployer.requests() == []
    receipt = deployer.deploy(REQUEST)
    [written] = (tmp_path / "cd").glob("*.json")
    written.write_text("")
    assert deployer.requests() == []
    assert deployer.deploy(REQUEST) == receipt
    assert deployer.requests() == [REQUEST]


def test_writes_are_flushed_to_disk_before_the_rename(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(files.os, "fsync", lambda fd: (order.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(files.os, "replace", lambda a, b: (order.append("replace"), real_replace(a, b))[1])
    files.write_atomic(tmp_path / "r.json", "{}")
    assert order[:2] == ["fsync", "replace"]
    assert files.read_record(tmp_path / "r.json") == {}


def test_a_lone_surrogate_is_written_escaped_not_refused(tmp_path: Path) -> None:
    files.write_atomic(tmp_path / "t.txt", "bad \ud800 text")
    assert (tmp_path / "t.txt").read_text(encoding="utf-8") == "bad \\ud800 text"
