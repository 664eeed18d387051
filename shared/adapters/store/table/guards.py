"""TableStore's silences, held-back notices and retrain-budget resets: point reads and bounded partitions.

Table `Guards`: partition `silence:<id>` holds the silence (`silence`, the authority) and one `held:<notice key>`
per notice it held back (read whole when it ends: bounded by that silence); `silences:open` lists the silences
not ended (row `<id>`), `silences:ended` the ended ones newest first (`<inverted end>:<id>`); partition `budgets`,
row `<model>`: the last reset of a model's retrain budget.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict
from datetime import datetime
from typing import Any

from shared.adapters.store.table.base import TableBase, etag_of, if_match, merge_mode
from shared.adapters.store.table.codec import guarded, lost_race, status
from shared.adapters.store.table.keys import inverted, part
from shared.core.silences import Silence

GUARDS = "Guards"
OPEN, ENDED, BUDGETS, SILENCE = "silences:open", "silences:ended", "budgets", "silence"
HELD = "held:"


def _pk(silence_id: str) -> str:
    return f"silence:{part(silence_id)}"


def _entity(pk: str, rk: str, silence: Silence) -> dict[str, Any]:
    return {"PartitionKey": pk, "RowKey": rk, "body": json.dumps(asdict(silence)), "until": silence.until}


class TableGuards(TableBase):
    """Silences, what each held back, and budget resets, in the `Guards` table."""

    @guarded("saving a silence")
    def save_silence(self, silence: Silence) -> None:
        known = self.get_silence(silence.id)
        table = self.table(GUARDS)
        if known is not None and known.ended_at is not None:
            silence = known  # an ended silence stays ended; its indexes are put right again (a save cut short)
        else:
            table.upsert_entity(_entity(_pk(silence.id), SILENCE, silence))
        if silence.ended_at is None:
            table.upsert_entity(_entity(OPEN, part(silence.id), silence))
            return
        table.upsert_entity(_entity(ENDED, f"{inverted(silence.ended_at)}:{part(silence.id)}", silence))
        try:
            table.delete_entity(OPEN, part(silence.id))
        except Exception as exc:
            if status(exc) != 404:
                raise

    @guarded("reading a silence")
    def get_silence(self, silence_id: str) -> Silence | None:
        row = self._get(GUARDS, _pk(silence_id), SILENCE)
        return Silence(**json.loads(row["body"])) if row is not None else None

    @guarded("listing silences")
    def silences(self, *, ended: bool = False, limit: int = 100) -> list[Silence]:
        rows = self._query(GUARDS, "PartitionKey eq @pk", {"pk": ENDED if ended else OPEN}, top=limit)
        found = [Silence(**json.loads(r["body"])) for r in rows]
        return found if ended else sorted(found, key=lambda s: datetime.fromisoformat(s.until))

    @guarded("holding a notice back")
    def hold(self, silence_id: str, key: str, kind: str, at: str) -> bool:
        pk = _pk(silence_id)
        for _ in range(3):
            row = self._get(GUARDS, pk, SILENCE)
            if row is None or not Silence(**json.loads(row["body"])).active(datetime.fromisoformat(at)):
                return False
            # One transaction holding the silence unchanged: a silence ended meanwhile refuses the hold.
            touch = ("update", {"PartitionKey": pk, "RowKey": SILENCE}, merge_mode(**if_match(etag_of(row))))
            held = ("upsert", {"PartitionKey": pk, "RowKey": HELD + part(key), "kind": kind})
            try:
                self._submit(GUARDS, [touch, held])
            except Exception as exc:
                if not lost_race(exc):
                    raise
                continue
            return True
        return False

    @guarded("counting held-back notices")
    def held(self, silence_id: str) -> dict[str, int]:
        rows = self._range(GUARDS, _pk(silence_id), HELD, select=["kind"])
        return dict(Counter(str(r["kind"]) for r in rows))

    @guarded("reading a retrain budget")
    def budget_reset(self, model: str) -> str | None:
        row = self._get(GUARDS, BUDGETS, part(model))
        return str(row["at"]) if row is not None else None

    @guarded("resetting a retrain budget")
    def reset_budget(self, model: str, at: str) -> None:
        known = self.budget_reset(model)
        if known is None or datetime.fromisoformat(known) < datetime.fromisoformat(at):
            self.table(GUARDS).upsert_entity({"PartitionKey": BUDGETS, "RowKey": part(model), "at": at})
