"""Intake: both schemas, both key casings, drift in both shapes, and bad input named precisely."""

from datetime import UTC, datetime

import pytest

from shared.core import events as ev
from shared.core.errors import InvalidEvent
from tests.conftest import load_event


def parse_file(name: str) -> ev.Event:
    return ev.parse(load_event(name)[0])


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("model_registered.eventgrid.pascal.json", "20"),
        ("model_registered.cloudevents.camel.json", "3"),
    ],
)
def test_model_registered_reads_either_casing_and_version_type(name: str, version: str) -> None:
    event = parse_file(name)
    assert isinstance(event, ev.ModelRegistered)
    assert (event.model, event.version) == ("sklearn_regression_model", version)


def test_pascal_case_tags_are_read_and_kept() -> None:
    event = parse_file("model_registered.eventgrid.pascal.json")
    assert isinstance(event, ev.ModelRegistered)
    assert event.tags == {"area": "diabetes", "type": "regression"}
    assert event.raw["data"]["ModelVersion"] == 20


def test_model_deployed_lists_every_model_version() -> None:
    event = parse_file("model_deployed.eventgrid.pascal.json")
    assert isinstance(event, ev.ModelDeployed)
    assert event.models == (("sklearn_regression_model", "1"), ("sklearn_regression_model", "2"))
    camel = parse_file("model_deployed.cloudevents.camel.json")
    assert isinstance(camel, ev.ModelDeployed) and camel.tags == {"environment": "staging"}


@pytest.mark.parametrize("name", ["run_completed.eventgrid.camel.json", "run_completed.cloudevents.pascal_tags.json"])
def test_run_completed_is_a_completed_run(name: str) -> None:
    event = parse_file(name)
    assert isinstance(event, ev.RunFinished)
    assert event.status == "Completed"
    assert event.experiment == "automl-local-regression"


def test_run_completed_and_status_changed_share_one_occurrence() -> None:
    completed = parse_file("run_completed.eventgrid.camel.json")
    changed = dict(load_event("run_status_changed.failed.eventgrid.json")[0])
    changed["id"] = "other"
    changed["data"] = {**changed["data"], "runStatus": "COMPLETED"}
    assert completed.occurrence == ev.parse(changed).occurrence


def test_status_strings_are_case_insensitive() -> None:
    event = parse_file("run_status_changed.failed.eventgrid.json")
    assert isinstance(event, ev.RunFinished) and event.status == "Failed"


def test_running_status_is_ignored_with_a_reason() -> None:
    event = parse_file("run_status_changed.running.cloudevents.json")
    assert isinstance(event, ev.Ignored) and "not a terminal status" in event.reason


@pytest.mark.parametrize(
    ("name", "monitor"),
    [
        ("dataset_drift.eventgrid.pascal.json", "myDriftMonitor"),
        ("dataset_drift.cloudevents.camel.json", "credit-risk-monitor"),
        ("monitor_breach.eventgrid.json", "credit-risk-monitor_data_drift"),
    ],
)
def test_drift_is_recognised_in_both_shapes(name: str, monitor: str) -> None:
    event = parse_file(name)
    assert isinstance(event, ev.DriftDetected)
    assert event.monitor == monitor


@pytest.mark.parametrize(
    "name",
    [
        "monitor_breach.eventgrid.json",  # RunStatusChanged, Failed
        "monitor_breach_completed.cloudevents.json",  # RunStatusChanged, Completed: what the component does
        "monitor_breach_completed.run_completed.eventgrid.json",  # RunCompleted of the same run
    ],
)
def test_a_tagged_monitor_run_is_a_breach_whatever_its_terminal_status(name: str) -> None:
    event = parse_file(name)
    assert isinstance(event, ev.DriftDetected)
    assert event.monitor == "credit-risk-monitor_data_drift" and not event.legacy


def test_both_twins_of_a_breached_run_are_one_occurrence() -> None:
    changed = parse_file("monitor_breach_completed.cloudevents.json")
    completed = parse_file("monitor_breach_completed.run_completed.eventgrid.json")
    assert changed.id != completed.id
    assert changed.occurrence == completed.occurrence == "run:monitor_run_20261123:breach"


def test_a_tagged_run_that_has_not_finished_is_not_yet_a_breach() -> None:
    raw = dict(load_event("monitor_breach_completed.cloudevents.json")[0])
    raw["data"] = {**raw["data"], "runStatus": "Finalizing"}
    event = ev.parse(raw)
    assert isinstance(event, ev.Ignored) and "not a terminal status" in event.reason


def test_legacy_dataset_drift_is_its_own_occurrence() -> None:
    event = parse_file("dataset_drift.eventgrid.pascal.json")
    assert isinstance(event, ev.DriftDetected) and event.legacy and event.occurrence is None


def test_a_monitor_run_that_failed_without_the_tag_is_a_failed_run() -> None:
    event = parse_file("monitor_failed.eventgrid.json")
    assert isinstance(event, ev.RunFinished) and event.status == "Failed"
    assert event.experiment == "credit-risk-monitor"


def test_an_unknown_run_status_is_ignored_with_a_note_not_rejected() -> None:
    event = parse_file("bad.unknown_status.json")
    assert isinstance(event, ev.Ignored)
    assert event.reason == "run r has status 'Exploded', which this app does not know: ignored"


def test_unknown_event_type_is_ignored_not_an_error() -> None:
    event = parse_file("subscription_validation.json")
    assert isinstance(event, ev.Ignored)
    assert "SubscriptionValidationEvent" in event.reason


def test_internal_types_are_ignored_when_they_arrive_from_event_grid() -> None:
    raw = {
        "id": "x",
        "topic": "t",
        "eventType": ev.APPROVAL_DECIDED,
        "data": {"model": "m", "version": "1", "decision": "approve", "approver": "mallory"},
    }
    assert isinstance(ev.parse(raw), ev.Ignored)
    assert isinstance(ev.parse(raw, internal=True), ev.ApprovalDecided)


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("bad.missing_data.json", "data"),
        ("bad.version_list.json", "data.modelVersion"),
        ("bad.missing_run_id.json", "data.runId"),
        ("bad.model_name.json", "data.modelName"),
        ("bad.missing_id.json", "id"),
        ("bad.model_ids.json", "data.modelIds"),
    ],
)
def test_malformed_event_names_the_field_and_expectation(name: str, field: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        parse_file(name)
    assert caught.value.field == field
    assert f"'{field}' must be" in str(caught.value)


def test_a_delivery_may_be_one_object_or_an_array() -> None:
    one = load_event("model_registered.eventgrid.pascal.json")[0]
    assert ev.split_delivery(one) == [one]
    assert ev.split_delivery([one, one]) == [one, one]
    with pytest.raises(InvalidEvent, match=r"\[1\]"):
        ev.split_delivery([one, "nope"])


@pytest.mark.parametrize("spelling", ["mlopsreactor.approvaldecided", "MLOPSREACTOR.APPROVALDECIDED"])
def test_internal_types_in_any_casing_are_ignored_from_event_grid(spelling: str) -> None:
    raw = {
        "id": "x",
        "topic": "t",
        "eventType": spelling,
        "data": {"model": "m", "version": "1", "decision": "approve", "approver": "mallory"},
    }
    assert isinstance(ev.parse(raw), ev.Ignored)


REGISTERED = "Microsoft.MachineLearningServices.ModelRegistered"
TOPIC = "/subscriptions/s/resourceGroups/r/providers/Microsoft.MachineLearningServices/workspaces/w"


@pytest.mark.parametrize(
    ("data", "field", "expected"),
    [
        ({"modelName": ["m"], "modelVersion": "1"}, "data.modelName", "a non-empty string"),
        ({"modelName": 7, "modelVersion": "1"}, "data.modelName", "a non-empty string"),
        ({"modelName": None, "modelVersion": "1"}, "data.modelName", "a non-empty string"),
        ({"modelName": "m", "modelVersion": [1]}, "data.modelVersion", "a version as an integer or a string"),
        ({"modelName": "m", "modelVersion": None}, "data.modelVersion", "a version as an integer or a string"),
        ({"modelName": "m", "modelVersion": True}, "data.modelVersion", "a version as an integer or a string"),
        ({"modelName": "m", "modelVersion": "1", "modelTags": ["a"]}, "data.modelTags", "an object of tags"),
    ],
)
def test_wrong_types_in_data_name_the_field_and_expectation(data: object, field: str, expected: str) -> None:
    raw = {"id": "x", "topic": TOPIC, "eventType": REGISTERED, "data": data}
    with pytest.raises(InvalidEvent) as caught:
        ev.parse(raw)
    assert caught.value.field == field
    assert f"'{field}' must be {expected}" in str(caught.value)


def test_cloudevents_with_event_grid_fields_says_which_schema_it_was_read_as() -> None:
    raw = {"specversion": "1.0", "id": "x", "eventType": REGISTERED, "topic": TOPIC, "data": {}}
    with pytest.raises(InvalidEvent) as caught:
        ev.parse(raw)
    assert caught.value.field == "type"
    assert "read as CloudEvents 1.0 (it has specversion), where 'eventType' is not a field" in str(caught.value)


def test_event_grid_schema_with_cloudevents_fields_says_which_schema_it_was_read_as() -> None:
    raw = {"id": "x", "type": REGISTERED, "source": TOPIC, "data": {"modelName": "m", "modelVersion": "1"}}
    with pytest.raises(InvalidEvent) as caught:
        ev.parse(raw)
    assert caught.value.field == "eventType"
    assert "read as the Event Grid schema (it has no specversion)" in str(caught.value)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("eventTime", "2017-06-26T18:41:00.9584103Z", datetime(2017, 6, 26, 18, 41, 0, 958410, tzinfo=UTC)),
        ("eventTime", "2026-11-22T09:00:00+02:00", datetime(2026, 11, 22, 7, 0, tzinfo=UTC)),
        ("eventTime", "2026-11-22 09:00:00z", datetime(2026, 11, 22, 9, 0, tzinfo=UTC)),
        ("time", "2026-11-22T09:00:00.5Z", datetime(2026, 11, 22, 9, 0, 0, 500000, tzinfo=UTC)),
    ],
)
def test_times_of_both_schemas_are_aware_datetimes(key: str, value: str, expected: datetime) -> None:
    raw = {"id": "x", "topic": TOPIC, "eventType": REGISTERED, "data": {"modelName": "m", "modelVersion": "1"}}
    if key == "time":
        raw = {"specversion": "1.0", "id": "x", "source": TOPIC, "type": REGISTERED, "data": raw["data"]}
    event = ev.parse({**raw, key: value})
    assert event.time == expected and event.time is not None and event.time.tzinfo is not None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("eventTime", "2026-11-22T09:00:00"),  # no zone: ambiguous
        ("eventTime", "22/11/2026 09:00"),
        ("time", "Sun, 22 Nov 2026 09:00:00 GMT"),
        ("time", "2026-13-40T09:00:00Z"),
    ],
)
def test_a_time_that_is_not_rfc_3339_is_rejected_naming_the_field(key: str, value: str) -> None:
    raw: dict[str, object] = {"id": "x", "topic": TOPIC, "eventType": REGISTERED, "data": {}}
    if key == "time":
        raw = {"specversion": "1.0", "id": "x", "source": TOPIC, "type": REGISTERED, "data": {}}
    with pytest.raises(InvalidEvent) as caught:
        ev.parse({**raw, key: value})
    assert caught.value.field == key
    assert f"'{key}' must be an RFC 3339 timestamp" in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"id": "x", "topic": TOPIC, "eventType": REGISTERED, "eventTime": 5, "data": {}}, "eventTime"),
        ({"specversion": "1.0", "id": "x", "source": TOPIC, "type": REGISTERED, "time": ["t"], "data": {}}, "time"),
        ({"id": "x", "topic": TOPIC, "eventType": REGISTERED, "subject": {"a": 1}, "data": {}}, "subject"),
        ({"id": 5, "topic": TOPIC, "eventType": REGISTERED, "data": {}}, "id"),
        ({"id": "x", "topic": [TOPIC], "eventType": REGISTERED, "data": {}}, "topic"),
        ({"id": "x", "topic": TOPIC, "eventType": {"a": "b"}, "data": {}}, "eventType"),
    ],
)
def test_envelope_fields_of_the_wrong_type_are_invalid_events(raw: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidEvent) as caught:
        ev.parse(raw)
    assert caught.value.field == field


@pytest.mark.parametrize("spelling", [3, "3", " 3", "3 ", " 3 "])
def test_a_version_has_one_canonical_spelling(spelling: object) -> None:
    raw = {"id": "x", "topic": TOPIC, "eventType": REGISTERED, "data": {"modelName": "m", "modelVersion": spelling}}
    event = ev.parse(raw)
    assert isinstance(event, ev.ModelRegistered) and event.version == "3"


def test_an_event_refused_at_the_edge_is_an_invalid_event_saying_why() -> None:
    raw = {"id": "x", "eventType": REGISTERED, "mlopsreactor_refused": "the event is more than 10 bytes"}
    with pytest.raises(InvalidEvent, match="invalid event: the event is more than 10 bytes"):
        ev.parse(raw)


def test_the_type_names_are_the_ones_the_event_grid_sdk_names() -> None:
    from azure.eventgrid import SystemEventNames

    from shared.core import event_types as names

    assert SystemEventNames.MachineLearningServicesModelRegisteredEventName.value == names.MODEL_REGISTERED
    assert SystemEventNames.MachineLearningServicesModelDeployedEventName.value == names.MODEL_DEPLOYED
    assert SystemEventNames.MachineLearningServicesRunCompletedEventName.value == names.RUN_COMPLETED
    assert SystemEventNames.MachineLearningServicesRunStatusChangedEventName.value == names.RUN_STATUS_CHANGED
    assert SystemEventNames.MachineLearningServicesDatasetDriftDetectedEventName.value == names.DATASET_DRIFT
