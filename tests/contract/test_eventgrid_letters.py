"""Event Grid's dead-letter blobs on a real Azurite Blob service, written in Event Grid's layout, in both schemas."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.deadletter.blob import BlobLetters
from shared.adapters.deadletter.folder import FolderLetters
from shared.core.errors import PermanentError
from shared.core.eventgrid_letters import REDRIVEN, LetterBlobs, time_prefix
from shared.engine.eventgrid_redrive import redrive_blobs, show, survey
from shared.engine.reactor import Reactor
from shared.tools import synthetic
from tests.conftest import WORKSPACE_ID
from tests.contract.azurite import azurite_blob  # noqa: F401  (session fixture)

MODELS, RUNS = "MLOPS-REACTOR-MODELS", "MLOPS-REACTOR-RUNS"


def given_up_eventgrid(event: dict[str, Any], outcome: str = "Forbidden") -> dict[str, Any]:
    """An Event Grid-schema event as Event Grid dead-letters it (its extra fields, camelCase)."""
    return event | {
        "deadLetterReason": "MaxDeliveryAttemptsExceeded",
        "deliveryAttempts": 30,
        "lastDeliveryOutcome": outcome,
        "publishTime": "2026-12-03T07:00:01.0000000Z",
        "lastDeliveryAttemptTime": "2026-12-03T07:05:02.0000000Z",
    }


def given_up_cloudevents(event: dict[str, Any], outcome: str = "TimedOut") -> dict[str, Any]:
    """A CloudEvents event as Event Grid dead-letters it (the same fields in lowercase)."""
    return event | {
        "deadletterreason": "MaxDeliveryAttemptsExceeded",
        "deliveryattempts": 3,
        "lastdeliveryoutcome": outcome,
        "publishtime": "2026-12-03T07:00:01Z",
    }


@pytest.fixture
def container(azurite_blob: str) -> Any:  # noqa: F811
    from azure.storage.blob import ContainerClient

    client = ContainerClient.from_connection_string(azurite_blob, f"dl{uuid.uuid4().hex[:12]}")
    client.create_container()
    return client


Put = Callable[[str, bytes], None]


@pytest.fixture(params=["blob", "folder"])
def sink(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[LetterBlobs, Put]:
    """Each LetterBlobs (Blob Storage on Azurite, the local folder) and how Event Grid would put a blob in it."""
    if request.param == "blob":
        client = request.getfixturevalue("container")
        return BlobLetters(client), lambda name, body: client.upload_blob(name, body)
    folder = FolderLetters(tmp_path / "eventgrid-deadletter")
    return folder, folder.write


def write(put: Put, subscription: str, hour_path: str, body: object) -> str:
    name = f"{subscription}/{hour_path}/{uuid.uuid4()}.json"
    put(name, body if isinstance(body, bytes) else json.dumps(body).encode())
    return name


@pytest.fixture
def blobs(sink: tuple[LetterBlobs, Put]) -> dict[str, str]:
    """Four blobs in the real layout (one an array of two, one a single object, one CloudEvents), one broken."""
    put = sink[1]
    reg = [synthetic.build("model_registered", WORKSPACE_ID, model=f"m{n}", version="1", id=f"reg-{n}") for n in (1, 2)]
    single = synthetic.build("model_registered", WORKSPACE_ID, model="m3", version="1", id="reg-3")
    run = synthetic.build("run_status_changed", WORKSPACE_ID, schema="cloudevents", status="Failed", id="run-1")
    return {
        "array": write(put, MODELS, "2026/12/3/7", [given_up_eventgrid(e) for e in reg]),
        "single": write(put, MODELS, "2026/12/3/8", given_up_eventgrid(single, "NotFound")),
        "cloud": write(put, RUNS, "2026/12/3/7", [given_up_cloudevents(run)]),
        "other_day": write(put, MODELS, "2026/12/13/7", [given_up_eventgrid(single)]),
        "broken": write(put, RUNS, "2026/12/4/1", b"[{"),
    }


def test_lists_by_time_prefix_paged_and_classified(sink: tuple[LetterBlobs, Put], blobs: dict[str, str]) -> None:
    letters = sink[0]
    day = survey(letters, time_prefix("mlops-reactor-models", "2026-12-03"), limit=10)
    assert [b["blob"] for b in day["blobs"]] == sorted([blobs["array"], blobs["single"]])  # not day 13
    assert day["by_reason"] == {"MaxDeliveryAttemptsExceeded/Forbidden": 2, "MaxDeliveryAttemptsExceeded/NotFound": 1}
    first = survey(letters, "", limit=2)
    rest = survey(letters, "", limit=10, cursor=first["next"])
    assert first["next"] and len(first["blobs"]) == 2 and rest["next"] is None
    assert len(first["blobs"]) + len(rest["blobs"]) == len(blobs)
    cloud = survey(letters, time_prefix(RUNS, "2026-12-03", 7), limit=10)
    [event] = cloud["blobs"][0]["events"]
    assert (event["id"], event["reason"], event["last_outcome"], event["attempts"]) == (
        "run-1",
        "MaxDeliveryAttemptsExceeded",
        "TimedOut",
        3,
    )
    broken = [b for b in rest["blobs"] + first["blobs"] if b.get("error")]
    assert len(broken) == 1 and "is not JSON" in broken[0]["error"]


def test_show_gives_each_event_as_sent(sink: tuple[LetterBlobs, Put], blobs: dict[str, str]) -> None:
    shown = show(sink[0], blobs["single"])
    [one] = shown["events"]
    assert (
        one["event"]["id"] == "reg-3" and "deadLetterReason" not in one["event"] and one["last_outcome"] == "NotFound"
    )


def test_redrive_dry_run_then_apply_marks_blobs_and_a_second_run_acts_once(
    reactor: Reactor, sink: tuple[LetterBlobs, Put], blobs: dict[str, str]
) -> None:
    letters, day = sink[0], time_prefix(MODELS, "2026-12-03")
    planned = redrive_blobs(reactor, letters, day, limit=10)
    assert planned["dry_run"] and planned["counts"] == {"handled": 3}
    assert reactor.workspace.jobs() == []  # type: ignore[attr-defined]
    assert not any(b.metadata.get(REDRIVEN) for b in letters.list("", 10).blobs)

    done = redrive_blobs(reactor, letters, day, limit=10, dry_run=False)
    assert done["counts"] == {"handled": 3}
    assert sorted(j["model"] for j in reactor.workspace.jobs()) == ["m1", "m2", "m3"]  # type: ignore[attr-defined]
    assert reactor.store.get_event("reg-1") is not None and "deadLetterReason" not in reactor.store.get_event("reg-1")
    listed = survey(letters, day, limit=10)["blobs"]
    assert all(b["redriven_at"] and b["outcomes"] for b in listed)

    again = redrive_blobs(reactor, letters, day, limit=10, dry_run=False)
    assert again["counts"] == {"skipped": 2}
    forced = redrive_blobs(reactor, letters, day, limit=10, dry_run=False, again=True)
    assert forced["counts"] == {"duplicate": 3} and len(reactor.workspace.jobs()) == 3  # type: ignore[attr-defined]


def test_cloudevents_blobs_redrive_and_an_unreadable_blob_is_reported_not_fatal(
    reactor: Reactor, sink: tuple[LetterBlobs, Put], blobs: dict[str, str]
) -> None:
    done = redrive_blobs(reactor, sink[0], f"{RUNS}/", limit=10, dry_run=False)
    assert done["counts"] == {"handled": 1, "unreadable": 1}
    assert [o["id"] for b in done["blobs"] for o in b.get("events", [])] == ["run-1"]


def test_a_missing_container_or_blob_is_a_permanent_error_naming_it(azurite_blob: str, container: Any) -> None:  # noqa: F811
    missing = BlobLetters.from_connection_string(azurite_blob, "no-such-container")
    with pytest.raises(PermanentError, match="no-such-container"):
        missing.list("", 10)
    with pytest.raises(PermanentError, match=r"NOPE/1\.json"):
        BlobLetters(container).read("NOPE/1.json")


def test_a_folder_blob_name_cannot_leave_the_folder(tmp_path: Path) -> None:
    with pytest.raises(PermanentError, match="outside"):
        FolderLetters(tmp_path / "dl").read("../reactor.db")
