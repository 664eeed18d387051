"""Table Storage plumbing for TableStore: safe keys, JSON bodies within property limits, error translation."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Concatenate, ParamSpec, TypeVar

from shared.core.errors import TransientError, UpstreamRejected

# A string property holds at most 64 KiB (32K UTF-16 code units) and an entity at most 1 MiB. A JSON body is
# split into chunks of CHUNK characters (at most 2 code units each); a body over its budget in UTF-16 bytes is
# cut, and the stored JSON says so.
CHUNK = 16_000
MAX_BYTES = 700_000
_FORBIDDEN = {"%": "%25", "/": "%2F", "\\": "%5C", "#": "%23", "?": "%3F"}
MAX_KEY = 512
S = TypeVar("S")
P = ParamSpec("P")
R = TypeVar("R")


def safe_key(text: str) -> str:
    """A PartitionKey/RowKey for any text: forbidden characters escaped, over-long keys shortened by hash."""
    safe = "".join(_FORBIDDEN.get(c, c) if ord(c) >= 32 and ord(c) != 127 else f"%{ord(c):02X}" for c in text)
    if len(safe) > MAX_KEY:
        safe = safe[:400] + "~" + hashlib.sha256(text.encode()).hexdigest()
    return safe


def pack(name: str, value: Any, budget: int = MAX_BYTES) -> dict[str, Any]:
    """Properties holding `value` as JSON in chunks (`name`, `name_1`, ...), truncated with a note if too big."""
    text = json.dumps(value, default=str, ensure_ascii=False)
    size = len(text.encode("utf-16-le", "surrogatepass"))
    if size > budget:
        note = f"truncated: {size} bytes of JSON exceed what one Table Storage entity holds; the head is kept"
        text = json.dumps({"_truncated": True, "_note": note, "_head": text[: budget // 5]}, ensure_ascii=False)
    chunks = [text[i : i + CHUNK] for i in range(0, len(text), CHUNK)] or [""]
    props: dict[str, Any] = {f"{name}_n": len(chunks)}
    props.update({name if i == 0 else f"{name}_{i}": chunk for i, chunk in enumerate(chunks)})
    return props


def unpack(entity: Mapping[str, Any], name: str) -> Any:
    """The value `pack` stored under `name` (None if absent)."""
    count = int(entity.get(f"{name}_n", 1))
    text = "".join(str(entity.get(name if i == 0 else f"{name}_{i}", "")) for i in range(count))
    return json.loads(text) if text else None


def status(exc: BaseException) -> int | None:
    """The HTTP status an azure-core error carries, if any."""
    code = getattr(exc, "status_code", None)
    return code if isinstance(code, int) else None


def lost_race(exc: BaseException) -> bool:
    """A write refused because the state is not what it assumed (exists, changed, or gone)."""
    return status(exc) in (404, 409, 412)


@contextmanager
def translated(doing: str, account: str) -> Iterator[None]:
    """Translate azure-core failures into the error tree (our own errors pass through)."""
    from azure.core.exceptions import AzureError

    try:
        yield
    except AzureError as exc:
        raise _translate(exc, doing, account) from exc


def _translate(exc: BaseException, doing: str, account: str) -> Exception:
    code = status(exc)
    where = f"Table Storage {account}: {doing}"
    detail = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
    if code in (401, 403):
        return UpstreamRejected(
            f"{where}: answered {code} ({detail}); check that the app's managed identity has "
            "the Storage Table Data Contributor role on the account, or the connection string"
        )
    if code in (400, 413):
        return UpstreamRejected(f"{where}: answered {code} ({detail})")
    return TransientError(f"{where}: {detail}; will retry")  # 404/409/412 left over, 429, 5xx, timeouts


def guarded(doing: str) -> Callable[[Callable[Concatenate[S, P], R]], Callable[Concatenate[S, P], R]]:
    """Method decorator: run inside `translated(doing, self.account)`."""

    def wrap(fn: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
        def inner(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
            with translated(doing, str(getattr(self, "account", "?"))):
                return fn(self, *args, **kwargs)

        functools.update_wrapper(inner, fn)
        return inner

    return wrap
