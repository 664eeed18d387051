"""Occurrences for TableStore: which claim took a logical occurrence (one thing reported by two events).

An occurrence about one of our jobs (its completion, a finding on it) lives beside the job, in the job's partition
of `Jobs`: the event's load read that partition whole (`get_job`), so a twin learns who took it with no request of
its own, and the decision that takes it writes it in one transaction with the job's new status (undone together if
the decision is refused). Which partition follows from the event (the job it names), never from the decision, so
both twins look in one place. An occurrence about nothing of ours has a partition of its own in `Claims` (where
every occurrence was before: a report on a job already closed looks there too, so a twin of an event handled
before this layout is still a duplicate).
Either way it is taken before the decision is written, with the claim's lease: a holder whose claim completed makes
the event a duplicate, one still leased makes it wait (TransientError), one whose lease ran out is taken over.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.adapters.store.table.base import Entity, Op, etag_of, if_match, replace_mode
from shared.adapters.store.table.claims import ATTEMPTS, TableClaims
from shared.adapters.store.table.codec import lost_race, status
from shared.adapters.store.table.keys import JOB, OCCURRENCE, job_occurrence_rk, occurrence_pk, part
from shared.adapters.store.table.reads import CLAIMS, JOBS, SeenJob
from shared.adapters.store.table.rows import job_of, job_props
from shared.core.errors import TransientError
from shared.core.state import Commit, Committed, Conflict, JobRef

log = logging.getLogger("mlops_reactor")
OPEN = "Submitted"


@dataclass(kw_only=True)
class Taking:
    """Where a commit takes its occurrence, and what it wrote there (for a rollback)."""

    job: SeenJob | None = None  # the job the load read: the occurrence goes beside it, its new status with it
    held: Entity | None = None  # the row as read: a holder whose lease ran out, or an earlier attempt of ours
    etag: str = ""  # the occurrence row's ETag once written
    job_etag: str = ""  # the job's ETag once its status was written with it
    before: Entity | None = None  # the job as it was, when its status was written


class TableOccurrences(TableClaims):
    """Take an occurrence before the decision; give it back if the decision is refused."""

    def _look(
        self, commit: Commit, seen: SeenJob | None, now: datetime, until: float
    ) -> tuple[Committed | None, Taking]:
        """Before the claim: who holds the occurrence (as the load saw it), or take its own partition now.
        Conflict: the job was closed by a claim whose decision never landed; it is open again, decide anew."""
        closer = self._closer(seen, now)
        if closer is not None and closer["claim"] == commit.claim_id:  # this event's own earlier delivery
            found = self._found(commit.claim_id, now, closer)
            if found is not None:
                return found, Taking()
        if not commit.occurrence:  # the job's new status still goes the way below, to be undone with the claim
            return None, Taking(job=seen if seen is not None and seen.row is not None else None)
        if seen is None or seen.row is None or not _names(commit.occurrence, seen.name):
            found, etag = self._occupy(commit, now, until)
            return found, Taking(etag=etag)
        held = seen.occurrences.get(commit.occurrence)
        if held is None and job_of(seen.row).status != OPEN:  # closed: maybe by a twin taken in the layout before
            held = self._get(CLAIMS, occurrence_pk(commit.occurrence), OCCURRENCE)
            if held is not None and held["claim"] != commit.claim_id:
                found = self._holder(held, commit.occurrence, now)
                if found is not None:
                    return found, Taking()
            held = None
        if held is not None and held["claim"] != commit.claim_id:
            known = closer if closer is not None and closer["claim"] == held["claim"] else None
            found = self._holder(held, commit.occurrence, now, known)
            if found is not None:
                return found, Taking()
        return None, Taking(job=seen, held=held)

    def _closer(self, seen: SeenJob | None, now: datetime) -> Entity | None:
        """The claim that closed the job the load read, once its lease ran out (None: none, gone, or still leased).
        One that died before its decision landed gives the job back (`_drop`): Conflict, the event decides anew."""
        if seen is None or seen.row is None or not seen.row.get("closed_by"):
            return None
        if float(seen.row.get("until") or 0) > now.timestamp():
            return None  # the closer may still be at work: a twin waits on the occurrence, as before
        row = self._claim(str(seen.row["closed_by"]))
        if row is None or row["done"] or float(row["lease"]) > now.timestamp() or self._landed(row):
            return row
        self._drop(row)
        raise Conflict(f"{seen.name} was closed by {row['claim']}, whose decision never landed: deciding again")

    def _holder(self, row: Entity, occurrence: str, now: datetime, known: Entity | None = None) -> Committed | None:
        """What the holder's claim says (`known`: as just read); None if it can be taken over (its lease ran out)."""
        found = self._found(str(row["claim"]), now, known)
        if found is not None:
            return found
        if float(row["until"]) > now.timestamp():
            raise TransientError(f"{occurrence} is being handled by another event")
        return None

    def _take(self, commit: Commit, taking: Taking, until: float) -> bool:
        """Write the occurrence beside its job, with the job's new status if the decision sets one (one
        transaction); False if another claim took it first."""
        seen = taking.job
        if seen is None:
            return True
        pk, ops = part(seen.name), list[Op]()
        job = next((j for j in commit.jobs if j.name == seen.name), None)
        if job is not None:  # who closed it, from what, and its lease: a claim dying before its decision gives it back
            closing = {
                "closed_by": commit.claim_id,
                "was": job_of(seen.row).status if seen.row else OPEN,
                "until": until,
            }
            ops.append(("upsert", {"PartitionKey": pk, "RowKey": JOB, **job_props(job), **closing}, replace_mode()))
        if commit.occurrence:
            row: dict[str, Any] = {"PartitionKey": pk, "RowKey": job_occurrence_rk(commit.occurrence)}
            row |= {"claim": commit.claim_id, "until": until, "occurrence": commit.occurrence}
            held = taking.held
            ops.append(
                ("update", row, replace_mode(**if_match(etag_of(held)))) if held is not None else ("create", row)
            )
        if not ops:
            return True
        try:
            written = self._submit(JOBS, ops)
        except Exception as exc:
            if not lost_race(exc):
                raise
            return False
        if commit.occurrence:
            taking.etag = str(written[-1]["etag"])
        if job is not None:
            taking.job_etag, taking.before = str(written[0]["etag"]), seen.row
        return True

    def _taken(self, commit: Commit, taking: Taking, now: datetime) -> Committed:
        """After losing the occurrence to another claim (ours rolled back): what that claim says."""
        assert taking.job is not None and commit.occurrence
        row = self._get(JOBS, part(taking.job.name), job_occurrence_rk(commit.occurrence))
        found = self._holder(row, commit.occurrence, now) if row is not None else None
        if found is None:
            raise TransientError(f"{commit.occurrence} was claimed elsewhere just now")
        return found

    def _occupy(self, commit: Commit, now: datetime, until: float) -> tuple[Committed | None, str]:
        """Take an occurrence in its own partition: (None, ETag) when ours, else who has it."""
        assert commit.occurrence
        pk = occurrence_pk(commit.occurrence)
        entity = {"PartitionKey": pk, "RowKey": OCCURRENCE, "claim": commit.claim_id, "until": float(until)}
        for _ in range(ATTEMPTS):
            try:
                return None, str(self.table(CLAIMS).create_entity(entity)["etag"])
            except Exception as exc:
                if status(exc) != 409:
                    raise
            row = self._get(CLAIMS, pk, OCCURRENCE)
            if row is None:
                continue
            if row["claim"] == commit.claim_id:
                return None, etag_of(row)
            found = self._holder(row, commit.occurrence, now)
            if found is not None:
                return found, ""
            try:
                table = self.table(CLAIMS)
                return None, str(table.update_entity(entity, **replace_mode(**if_match(etag_of(row))))["etag"])
            except Exception as exc:
                if not lost_race(exc):
                    raise
        raise TransientError(f"{commit.occurrence} was claimed elsewhere just now")

    def _rollback(self, commit: Commit, claim_etag: str, rows: list[Op], taking: Taking, jobs: list[str]) -> None:
        """Undo a claim whose decision was not written, so a new decision can take its place at once."""
        claim_id = commit.claim_id
        try:  # the job first: a crash in between leaves a claim that gives nothing back, never a job closed by none
            if taking.etag or taking.job_etag:
                self._free(commit.occurrence, taking)
            if claim_etag:
                self._unclaim(claim_id, claim_etag, rows)
            for name in jobs:
                self.table(JOBS).delete_entity(part(name), JOB)
        except Exception:  # its lease runs out, and then it counts as never written
            log.warning("could not roll back claim %s; it is dropped when its lease runs out", claim_id)

    def _free(self, occurrence: str | None, taking: Taking) -> None:
        """The occurrence freed, and the job's status as it was before (one transaction when beside the job)."""
        if taking.job is None:
            if occurrence:
                self.table(CLAIMS).delete_entity(occurrence_pk(occurrence), OCCURRENCE, **if_match(taking.etag))
            return
        pk, ops = part(taking.job.name), list[Op]()
        if taking.etag and occurrence:
            row = {"PartitionKey": pk, "RowKey": job_occurrence_rk(occurrence)}
            ops.append(("delete", row, if_match(taking.etag)))
        if taking.before is not None:
            was: dict[str, Any] = {**taking.before, "PartitionKey": pk, "RowKey": JOB}
            ops.append(("update", was, replace_mode(**if_match(taking.job_etag))))
        if ops:
            self._submit(JOBS, ops)


def _names(occurrence: str, job: str) -> bool:
    """Whether the occurrence names the job (`run:<job>:completed`, `finding:<kind>:<job>`): a guard that the job
    read is the one this event is about."""
    return f":{job}:" in f":{occurrence}:"


def closes(commit: Commit, taking: Taking) -> str | None:
    """The job whose new status the commit writes beside its occurrence, ahead of its decision (for the claim)."""
    name = taking.job.name if taking.job is not None else None
    return name if any(j.name == name for j in commit.jobs) else None


def beside(taking: Taking) -> str | None:
    """The job whose partition holds the occurrence, for the claim (prune finds it there)."""
    return taking.job.name if taking.job is not None else None


def other_jobs(commit: Commit, taking: Taking) -> tuple[JobRef, ...]:
    """The commit's jobs not written with the occurrence."""
    name = taking.job.name if taking.job is not None and taking.before is not None else None
    return tuple(j for j in commit.jobs if j.name != name)
