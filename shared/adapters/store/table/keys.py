"""Where each entity lives: partitions built for point reads and bounded key ranges, flat as history grows.

Table `Claims`, partition `claims:NN` (a shard of the claim id's event part, before any `#`):
  `claim:<id>` the claim with its ledger entry and raw event; `open:<id>` while committed and not done (the sweep's
  index); `inflight:<purpose>:<submitted at>|<name>` for each job the claim submitted (reconcile's index, read
  across the shards); all three written in the claim's one transaction. `dead:<event id>` the event's last dead
  letter (for `get_event`). Partition `occurrence:<occurrence>`: which claim took a logical occurrence that is
  not about one of our jobs.
Table `Subjects`, partition `model:<model>`: `subject` (the revision), `record:<version>`,
  `jobs:<purpose>:<inverted time>:<name>`, `ledger:<version>:<inverted time>:<claim>` and its twin across
  versions `log:<inverted time>:<claim>` (one transaction: a model's or a version's ledger pages newest first),
  intents of the model's actions (notices about the model included), `commit:<claim>` markers; `group:<window>`:
  an alert group's intents and its `counter`; `notice:<key>`: the intents of a notice about no model (one per
  channel); `intent:<key>` any other intent.
Table `Jobs`, partition `<name>`: `job` the job, and `occurrence:<occurrence>` for an occurrence about the job
  (its completion), written in one transaction with the job's new status (with `closed_by` the claim, `was` the
  status before and `until` the claim's lease, so a claim that dies before its decision gives the job back).
  Table `DeadLetters`, partition `dead`: newest first by RowKey.

Before this layout (kept readable): in-flight rows in table `Jobs`, partition `inflight:<purpose>` (still read, and
drained as their jobs close); every occurrence in `occurrence:<occurrence>` (still where a twin of an event handled
before looks); every notice in `notice:<key>` (a result for one still pending there is written there); ledger
rows by version alone, without `log:` twins (a model's pages show them after the log, oldest part of its history).
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from datetime import datetime

from shared.adapters.store.table.codec import safe_key
from shared.core.state import Intent, JobRef, LedgerEntry

SHARDS = 16
SUBJECT = "subject"
COUNTER = "counter"
OCCURRENCE = "occurrence"
JOB = "job"
_seq_lock = threading.Lock()
_last = [0]


def part(text: str) -> str:
    """A key component: any text, with `:` escaped so `:` separates components."""
    return safe_key(text).replace(":", "%3A")


def claim_pk(claim_id: str) -> str:
    """The shard of a claim: claims of one event (`id`, `id#force:…`, `id#rejected:…`) share it."""
    digest = hashlib.sha256(claim_id.split("#", 1)[0].encode("utf-8", "surrogatepass")).digest()
    return f"claims:{int.from_bytes(digest[:4], 'big') % SHARDS:02d}"


def claim_rk(claim_id: str) -> str:
    return f"claim:{part(claim_id)}"


def open_rk(claim_id: str) -> str:
    return f"open:{part(claim_id)}"


def dead_rk(event_id: str) -> str:
    return f"dead:{part(event_id)}"


def occurrence_pk(occurrence: str) -> str:
    return f"occurrence:{part(occurrence)}"


def model_pk(model: str) -> str:
    return f"model:{part(model)}"


def record_rk(version: str) -> str:
    return f"record:{part(version)}"


def intent_rk(key: str) -> str:
    return f"intent:{part(key)}"


def marker_rk(claim_id: str) -> str:
    return f"commit:{part(claim_id)}"


def group_pk(window: str) -> str:
    return f"group:{part(window)}"


def intent_pk(intent: Intent) -> str:
    """Each intent's partition follows from what it is, so one key can never land in two partitions."""
    if intent.window:
        return group_pk(intent.window)
    model = intent.action.get("model")
    if isinstance(model, str) and model:
        return model_pk(model)
    return legacy_intent_pk(intent)


def legacy_intent_pk(intent: Intent) -> str:
    """The partition of an intent of no model and no window; before notices carried their model, every notice's."""
    channel = intent.action.get("channel")
    if isinstance(channel, str) and intent.key.endswith(f":{channel}"):
        return f"notice:{part(intent.key[: -len(channel) - 1])}"
    return f"intent:{part(intent.key)}"


def inflight_prefix(purpose: str) -> str:
    return f"inflight:{part(purpose)}:"


def inflight_rk(submitted_at: str, name: str) -> str:
    """The in-flight row of a job in its claim's shard: oldest first, then by name."""
    return f"{part(submitted_at)}|{part(name)}"


def job_occurrence_rk(occurrence: str) -> str:
    return f"{OCCURRENCE}:{part(occurrence)}"


def jobs_prefix(purpose: str) -> str:
    return f"jobs:{part(purpose)}:"


def job_rk(job: JobRef) -> str:
    return f"{jobs_prefix(job.purpose)}{inverted(job.submitted_at)}:{part(job.name)}"


def ledger_prefix(version: str | None = None) -> str:
    return "ledger:" if version is None else f"ledger:{part(version)}:"


def ledger_rk(entry: LedgerEntry, claim_id: str) -> str:
    return f"{ledger_prefix(entry.version or '')}{inverted(entry.at)}:{part(claim_id)}"


LOG = "log:"  # a model's ledger across its versions, newest first (beside `ledger:<version>:`, in one transaction)


def log_rk(entry: LedgerEntry, claim_id: str) -> str:
    return f"{LOG}{inverted(entry.at)}:{part(claim_id)}"


def inverted(at: str) -> str:
    """A RowKey part that sorts newest first (microseconds before year 5138)."""
    try:
        micros = int(datetime.fromisoformat(at).timestamp() * 1_000_000)
    except (ValueError, OverflowError, OSError):
        micros = 0
    return f"{10**17 - micros:017d}"


def below(prefix: str) -> str:
    """The smallest key after every key starting with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def seq() -> str:
    """A string that sorts in write order (nanoseconds; strictly increasing in a process)."""
    with _seq_lock:
        _last[0] = max(time.time_ns(), _last[0] + 1)
        return f"{_last[0]:020d}"


def newest_first() -> str:
    """A RowKey that sorts newest first (unique: a random tail)."""
    return f"{10**20 - int(seq()):020d}-{uuid.uuid4().hex[:8]}"


LETTERS = "letters"  # table DeadLetters: every letter, newest first by its `at`


def letters_type_pk(event_type: str) -> str:
    """The partition of one event type's letters (an index: the same entity again)."""
    return f"{LETTERS}:type:{part(event_type)}"


def letter_rk(at: str) -> str:
    """Newest first by `at`, then by write order; `at` bounds are key bounds (see `letter_bound`)."""
    return f"{inverted(at)}:{newest_first()}"


def letter_bound(at: str) -> str:
    """The first RowKey after every letter written at `at`: letters before `at` sort from here on."""
    return f"{inverted(at)};"
