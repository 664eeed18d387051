"""`python -m shared deadletter ...` as people run it: list, show, replay, eventgrid; bad input exits 2 naming it."""

from __future__ import annotations

import json
import uuid

import pytest

from shared.app.settings import Settings
from shared.engine.reactor import Reactor
from shared.tools import synthetic
from tests.conftest import WORKSPACE_ID
from tests.contract.azurite import azurite_blob  # noqa: F401  (session fixture)
from tests.contract.test_eventgrid_letters import given_up_eventgrid
from tests.functional.test_cli import cli

OTHER = WORKSPACE_ID.replace("ml-ws", "other-ws")


@pytest.fixture
def refused(reactor: Reactor) -> list[str]:
    """Three events from another workspace, kept as dead letters in the CLI's state."""
    for n in range(3):
        assert reactor.handle(synthetic.build("model_registered", OTHER, id=f"foreign-{n}")).outcome == "rejected"
    return [f"foreign-{n}" for n in range(3)]


def test_list_show_and_replay(settings: Settings, refused: list[str]) -> None:
    listed = cli(settings, "deadletter", "list", "--limit", "2", "--json")
    assert listed.returncode == 0, listed.stderr
    page = json.loads(listed.stdout)
    assert [x["event_id"] for x in page["dead_letters"]] == ["foreign-2", "foreign-1"] and page["next"]
    text = cli(settings, "deadletter", "list", "--cursor", page["next"], "--reason", "WORKSPACE").stdout
    assert "foreign-0" in text and "open" in text and "1 letter(s)" in text
    shown = cli(settings, "deadletter", "show", "foreign-1")
    assert shown.returncode == 0 and '"id": "foreign-1"' in shown.stdout and "rejected" in shown.stdout
    assert cli(settings, "deadletter", "show", "nothing").returncode == 1
    dry = cli(settings, "deadletter", "replay")
    assert dry.returncode == 0 and "3 letter(s) (dry run" in dry.stdout
    one = json.loads(cli(settings, "deadletter", "replay", "--id", "foreign-0", "--json").stdout)
    assert [x["outcome"] for x in one["letters"]] == ["rejected"]  # still from another workspace


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("list", "--limit", "0"), "'limit'"),
        (("list", "--since", "yesterday"), "'since'"),
        (("list", "--cursor", "!!"), "'cursor'"),
        (("replay", "--until", "2026-02-30"), "'until'"),
        (("eventgrid", "list", "--subscription", "S", "--date", "2026-13-01"), "'date'"),
        (("eventgrid", "list", "--date", "2026-12-01"), "'subscription'"),
        (("eventgrid", "list", "--hour", "x"), "--hour"),
    ],
)
def test_bad_input_exits_2_naming_it(settings: Settings, args: tuple[str, ...], named: str) -> None:
    done = cli(settings, "deadletter", *args)
    assert done.returncode == 2 and named in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_eventgrid_list_and_redrive_on_azurite(settings: Settings, azurite_blob: str) -> None:  # noqa: F811
    from azure.storage.blob import ContainerClient

    container = f"dl{uuid.uuid4().hex[:12]}"
    client = ContainerClient.from_connection_string(azurite_blob, container)
    client.create_container()
    event = synthetic.build("model_registered", WORKSPACE_ID, model="m1", version="1", id="lost-1")
    client.upload_blob(f"MLOPS-REACTOR-MODELS/2026/12/3/7/{uuid.uuid4()}.json", json.dumps([given_up_eventgrid(event)]))
    env = {"REACTOR_DEADLETTER_CONNECTION": azurite_blob, "REACTOR_DEADLETTER_CONTAINER": container}
    blob_settings = Settings.from_env({**settings.env, **env})
    listed = cli(blob_settings, "deadletter", "eventgrid", "list", "--subscription", "mlops-reactor-models")
    assert listed.returncode == 0, listed.stderr
    assert "lost-1" in listed.stdout and "MaxDeliveryAttemptsExceeded/Forbidden 1" in listed.stdout
    args = ("deadletter", "eventgrid", "redrive", "--subscription", "mlops-reactor-models", "--date", "2026-12-03")
    dry = cli(blob_settings, *args)
    assert "handled=1" in dry.stdout and "dry run" in dry.stdout and "lost-1" not in cli(settings, "jobs").stdout
    acted = json.loads(cli(blob_settings, *args, "--apply", "--json").stdout)
    assert acted["counts"] == {"handled": 1} and "m1:1" in cli(settings, "jobs").stdout
    assert json.loads(cli(blob_settings, *args, "--apply", "--json").stdout)["counts"] == {"skipped": 1}


def test_eventgrid_without_a_container_in_azure_mode_names_the_settings(settings: Settings) -> None:
    azure = Settings.from_env({**settings.env, "REACTOR_MODE": "azure"})
    done = cli(azure, "deadletter", "eventgrid", "list")
    assert done.returncode == 2 and "REACTOR_DEADLETTER_CONNECTION" in done.stderr, done.stderr


def test_eventgrid_in_local_mode_reads_the_state_folder(settings: Settings) -> None:
    from shared.adapters.deadletter.folder import FolderLetters

    event = synthetic.build("model_registered", WORKSPACE_ID, model="m1", version="1", id="lost-2")
    folder = FolderLetters(settings.state_dir / "eventgrid-deadletter")
    folder.write("SUB/2026/12/3/7/a.json", json.dumps([given_up_eventgrid(event)]).encode())
    listed = cli(settings, "deadletter", "eventgrid", "list", "--json")
    assert [e["id"] for e in json.loads(listed.stdout)["blobs"][0]["events"]] == ["lost-2"]
