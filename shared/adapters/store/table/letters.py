"""The Table store's dead letters: written to partition `letters` and to their type's partition, read as a page.

A page is one bounded key range of one partition (`letters`, or `letters:type:<type>` with a type filter): the
time filter maps to RowKey bounds, the cursor to the last RowKey read; the reason filter applies to the rows
read. Each letter's status takes one point read per claims shard of the page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from shared.adapters.store.table.base import Entity
from shared.adapters.store.table.codec import guarded, unpack
from shared.adapters.store.table.keys import (
    LETTERS,
    claim_pk,
    claim_rk,
    dead_rk,
    letter_bound,
    letter_rk,
    letters_type_pk,
)
from shared.adapters.store.table.reads import CLAIMS, DEAD, TableReads
from shared.adapters.store.table.rows import raw_props
from shared.core.dead_letters import BadQuery, LetterPage, LetterQuery, decode_cursor, encode_cursor, status_of


class TableLetters(TableReads):
    """`dead_letter_page` and the writes that list a letter."""

    def _list_letter(
        self, event_id: str, event_type: str, at: str, reason: str, kind: str, raw: Mapping[str, Any]
    ) -> str:
        """The letter in its type's partition, then in `letters` (a crash between: the type's list has one more);
        its RowKey, which the event's own copy (`dead:<id>`) keeps as its newest letter."""
        rk, tpk = letter_rk(at), letters_type_pk(event_type)
        letter = {"event_id": event_id, "event_type": event_type, "at": at, "reason": reason[:30_000], "kind": kind}
        letter |= raw_props(raw)
        self.table(DEAD).create_entity({"PartitionKey": tpk, "RowKey": rk, **letter})
        self.table(DEAD).create_entity({"PartitionKey": LETTERS, "RowKey": rk, "tpk": tpk, **letter})
        return rk

    @guarded("reading dead letters")
    def dead_letter_page(self, query: LetterQuery) -> LetterPage:
        pk = LETTERS if query.event_type is None else letters_type_pk(query.event_type)
        terms, params = ["PartitionKey eq @pk"], {"pk": pk}
        if query.until is not None:
            terms.append("RowKey ge @lo")
            params["lo"] = letter_bound(query.until)
        if query.since is not None:
            terms.append("RowKey lt @hi")
            params["hi"] = letter_bound(query.since)
        if query.cursor is not None:
            terms.append("RowKey gt @after")
            params["after"] = _after(query.cursor)
        rows = self._query(DEAD, " and ".join(terms), params, top=query.limit)
        done, newest = self._standing({str(r["event_id"]) for r in rows})
        letters = [
            {
                "event_id": r["event_id"],
                "event_type": r.get("event_type", ""),
                "at": r["at"],
                "reason": r["reason"],
                "kind": r.get("kind", ""),
                "status": status_of(r.get("kind"), str(r["event_id"]) in done, _newest(r, newest)),
                "raw": unpack(r, "raw"),
            }
            for r in rows
            if query.matches_reason(str(r["reason"]))
        ]
        letters = [x for x in letters if query.matches_status(x["status"])]
        last = str(rows[-1]["RowKey"]) if len(rows) == query.limit else None
        return LetterPage(letters=letters, next=encode_cursor([last]) if last else None)

    def _standing(self, event_ids: set[str]) -> tuple[set[str], dict[str, str]]:
        """Which events' own claims completed, and each event's newest letter: two point reads an event."""
        by_shard: defaultdict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
        for event_id in event_ids:
            by_shard[claim_pk(event_id)] |= {
                claim_rk(event_id): ("claim", event_id),
                dead_rk(event_id): ("dead", event_id),
            }
        done: set[str] = set()
        newest: dict[str, str] = {}
        for pk, wanted in by_shard.items():
            rows: dict[str, Entity] = self._rows(CLAIMS, pk, wanted)
            for rk, row in rows.items():
                what, event_id = wanted[rk]
                if what == "claim" and row.get("done"):
                    done.add(event_id)
                elif what == "dead" and row.get("letter"):
                    newest[event_id] = str(row["letter"])
        return done, newest


def _newest(row: Entity, newest: Mapping[str, str]) -> bool:
    """Whether a letter is its event's newest (a letter from before the event's copy kept it: yes)."""
    return newest.get(str(row["event_id"]), str(row["RowKey"])) == str(row["RowKey"])


def _after(cursor: str) -> str:
    position = decode_cursor(cursor)
    if len(position) != 1 or not isinstance(position[0], str):
        raise BadQuery("cursor", "a cursor from a previous page ('next')", cursor)
    return position[0]
