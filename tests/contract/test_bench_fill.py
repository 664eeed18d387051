"""The bench's bulk fill (`bench.fill`) leaves on Azurite what the engine writes there event by event."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fillcheck import same_as_engine
from tests.contract.azurite import azurite  # noqa: F401  (session fixture)


def test_bulk_fill_leaves_the_entities_and_answers_of_an_engine_fill(
    request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    same = same_as_engine(request.getfixturevalue("azurite"), tmp_path, events=80, poison=40)

    assert same.entities > 80 and same.lookups == 7
