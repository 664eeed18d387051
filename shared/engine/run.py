"""Carry out the intents a claim owns, and finish a claim another delivery committed and left."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from shared.core.lifecycle import ModelVersionRecord
from shared.core.ports import Store
from shared.core.state import Adopted, Claimed, Committed, Finish, Intent, IntentStatus
from shared.engine.executor import Executor, Unanswered
from shared.engine.outcome import ActionStatus, Outcome, Result, action_view
from shared.engine.registry_order import after_copy


def carry_out(
    store: Store, executor: Executor, committed: Committed, records: Mapping[str, ModelVersionRecord], at: str
) -> tuple[Intent, ...]:
    """Run each pending intent in order. On a transient failure, keep what was done and release the claim."""
    results: list[Intent] = []
    for intent in committed.pending:
        intent = after_copy(intent, results, at)
        if intent.status is IntentStatus.FAILED:  # held back: its registry copy failed
            results.append(intent)
            continue
        try:
            results.append(executor.run(intent, records, at))
        except Unanswered as exc:
            store.release(committed.claim_id, (*results, exc.intent))
            raise
        except BaseException:
            store.release(committed.claim_id, tuple(results))
            raise
    return tuple(results)


def resume(
    store: Store,
    executor: Executor,
    claim_id: str,
    now: datetime,
    lease_seconds: int,
    again: Callable[[Mapping[str, Any]], Outcome | None],
) -> Outcome | None:
    """Adopt a committed claim whose lease ran out and finish it; None if it completed or someone holds it.
    A claim whose decision never landed (a store writing a commit in parts) has its event decided `again`."""
    adopted = store.adopt(claim_id, now, lease_seconds)
    if adopted is None:
        return None
    if adopted.undecided:
        return again(adopted.raw)
    records = {}
    for intent in adopted.intents:  # the production guard reads the record as it is now
        model, version = intent.action.get("model"), intent.action.get("version")
        if intent.action.get("kind") == "trigger_cd" and (record := store.get_record(str(model), str(version))):
            records[record.key] = record
    return resumed(store, executor, adopted, records, now.isoformat())


def resumed(
    store: Store, executor: Executor, adopted: Adopted, records: Mapping[str, ModelVersionRecord], at: str
) -> Outcome:
    """Finish an adopted claim: run what is still pending, then write its final ledger entry."""
    open_ = _in_doubt(adopted)
    results = carry_out(
        store, executor, Committed(claimed=Claimed.COMMITTED, claim_id=adopted.claim_id, pending=open_), records, at
    )
    mine = {i.key: i for i in adopted.intents}
    now_done = {r.key: r for r in results}
    detail: dict[str, Any] = dict(adopted.ledger.detail or {})
    views = [_view(brief, mine, now_done) for brief in detail.get("actions", [])]
    errors = [str(v["error"]) for v in views if v.get("status") in ("failed", "unconfirmed") and v.get("error")]
    error = "; ".join(([detail["violation"]] if detail.get("violation") else []) + errors) or None
    detail.update(actions=views, error=error, resumed=True)
    outcome = Outcome(
        id=adopted.ledger.event_id,
        type=adopted.ledger.event_type,
        outcome=Result(adopted.ledger.outcome),
        actions=tuple(views),
        error=error,
        notes=tuple(detail.get("notes", ())),
        env=detail.get("env"),
    )
    ledger = type(adopted.ledger)(**{**vars(adopted.ledger), "detail": {k: v for k, v in detail.items() if v}})
    store.finish(
        Finish(
            claim_id=adopted.claim_id,
            occurrence=adopted.occurrence,
            raw=adopted.raw,
            ledger=ledger,
            results=results,
            dead_letter=error,
        )
    )
    return outcome


_ANSWER = ("status", "error", "ref", "url")


def _in_doubt(adopted: Adopted) -> tuple[Intent, ...]:
    """The intents still to do, in plan order. After an interruption, the first of them may have been under way:
    a CD request is then never sent blindly again (it is unconfirmed, like a request whose answer was lost)."""
    order = {str(a.get("key")): n for n, a in enumerate((adopted.ledger.detail or {}).get("actions", []))}
    open_ = sorted(
        (i for i in adopted.intents if i.status in (IntentStatus.PENDING, IntentStatus.UNANSWERED)),
        key=lambda i: order.get(i.key, len(order)),
    )
    if adopted.interrupted and open_ and open_[0].action.get("kind") in ("trigger_cd", "copy_to_registry"):
        open_[0] = replace(open_[0], status=IntentStatus.UNANSWERED)  # a copy found done then: its CD is in doubt
    return tuple(open_)


def _view(brief: Mapping[str, Any], mine: Mapping[str, Intent], now_done: Mapping[str, Intent]) -> dict[str, Any]:
    """An action of an adopted claim: run now, done by the earlier attempt, or owned by another event."""
    key = str(brief.get("key"))
    if key in now_done:
        return {k: v for k, v in action_view(now_done[key]).items() if k in brief or k in _ANSWER}
    if key in mine:
        shown = ActionStatus.ALREADY_DONE if mine[key].status is IntentStatus.DONE else None
        return {k: v for k, v in action_view(mine[key], shown).items() if k in brief or k in _ANSWER}
    taken = ActionStatus.GROUPED if brief.get("kind") == "notify" else ActionStatus.ALREADY_DONE
    return {**brief, "status": str(taken)}
