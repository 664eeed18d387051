"""An in-memory stand-in for the Tables SDK's clients, just what TableStore calls, so the real store can write a long
history at the speed of the core: keys, ETags, conditional writes, all-or-nothing entity-group transactions, and the
OData filters the store sends (`and`, `or`, `not`, parentheses, eq/ne/gt/ge/lt/le, @parameters, quoted literals).

Values are kept as the SDK sends them: None properties dropped, a plain integer beyond 32 bits refused.
Errors carry the service's status codes (404, 409, 412, 400) in `status_code`, as azure-core errors do (the store reads
nothing else of them); write modes are read by value ("merge", "replace"), so no SDK is imported here."""

from __future__ import annotations

import bisect
import copy
import itertools
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

Props = dict[str, Any]
Node = tuple[Any, ...]
_TOKEN = re.compile(r"\s*(\(|\)|'(?:[^']|'')*'|@\w+|[A-Za-z_]\w*|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
_COMPARE = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}
_INT32 = 2**31
_MERGE = "merge"  # the SDK's default UpdateMode (a str enum)


class Refused(Exception):
    """A request the service refused, with the status it would answer."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status_code = code


class Row(dict[str, Any]):
    """An entity as the SDK returns it: a dict with `metadata` (its ETag)."""

    metadata: dict[str, Any]


class MemoryTable:
    """One table: partitions of rows (properties and ETag), RowKeys kept sorted for key-range queries."""

    def __init__(self, name: str, etags: Iterator[int]) -> None:
        self.table_name = name
        self.rows: dict[str, dict[str, tuple[Props, str]]] = {}
        self.keys: dict[str, list[str]] = {}
        self._etags = etags

    # reads

    def get_entity(self, partition_key: str, row_key: str, **_: Any) -> Row:
        found = self.rows.get(partition_key, {}).get(row_key)
        if found is None:
            raise Refused(404, f"{partition_key}/{row_key} not found")
        return _entity(partition_key, row_key, *found)

    def query_entities(
        self,
        query_filter: str,
        *,
        parameters: Mapping[str, Any] | None = None,
        results_per_page: int | None = None,
        select: list[str] | None = None,
        **_: Any,
    ) -> Pages:
        tree, params = parse_filter(query_filter), dict(parameters or {})
        found = []
        for pk, rk in self._candidates(tree, params):
            props, etag = self.rows[pk][rk]
            if _holds(tree, {"PartitionKey": pk, "RowKey": rk, **props}, params):
                entity = _entity(pk, rk, props, etag)
                found.append(Row({k: entity[k] for k in select if k in entity}) if select else entity)
        return Pages(found, results_per_page)

    def _candidates(self, tree: Node, params: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
        """Keys a filter can match, narrowed by its top-level PartitionKey eq and RowKey bounds."""
        terms = conjuncts(tree)
        pks = [_value(t[3], params) for t in terms if t[:3] == ("cmp", "eq", ("prop", "PartitionKey"))]
        lo, hi = "", None
        for t in terms:
            if t[0] == "cmp" and t[2] == ("prop", "RowKey") and t[1] in ("eq", "ge", "gt", "le", "lt"):
                bound = str(_value(t[3], params))
                lo = max(lo, bound) if t[1] in ("eq", "ge", "gt") else lo
                hi = bound if t[1] in ("eq", "le", "lt") and (hi is None or bound < hi) else hi
        for pk in pks[:1] if pks else sorted(self.keys):
            keys = self.keys.get(str(pk), [])
            start = bisect.bisect_left(keys, lo)
            end = len(keys) if hi is None else bisect.bisect_right(keys, hi)
            yield from ((str(pk), rk) for rk in keys[start:end])

    # writes

    def create_entity(self, entity: Mapping[str, Any], **_: Any) -> dict[str, Any]:
        return self._apply([("create", entity, {})])[0]

    def update_entity(self, entity: Mapping[str, Any], mode: str = _MERGE, **kw: Any) -> dict[str, Any]:
        return self._apply([("update", entity, {"mode": mode, **kw})])[0]

    def upsert_entity(self, entity: Mapping[str, Any], mode: str = _MERGE, **kw: Any) -> dict[str, Any]:
        return self._apply([("upsert", entity, {"mode": mode, **kw})])[0]

    def delete_entity(self, *args: Any, **kw: Any) -> None:
        """By (pk, rk) or an entity; a missing entity is no error (the SDK hides a 404), a changed one is (412)."""
        entity = args[0] if args and isinstance(args[0], Mapping) else {"PartitionKey": args[0], "RowKey": args[1]}
        try:
            self._apply([("delete", entity, kw)])
        except Refused as exc:
            if exc.status_code != 404:
                raise

    def submit_transaction(self, operations: Sequence[Sequence[Any]], **_: Any) -> list[dict[str, Any]]:
        ops = [(str(getattr(op[0], "value", op[0])), op[1], dict(op[2]) if len(op) > 2 else {}) for op in operations]
        if len({str(op[1]["PartitionKey"]) for op in ops}) > 1 or len({str(op[1]["RowKey"]) for op in ops}) < len(ops):
            raise Refused(400, "a transaction holds one partition and each row once")
        return self._apply(ops)

    def _apply(self, ops: Sequence[tuple[str, Mapping[str, Any], dict[str, Any]]]) -> list[dict[str, Any]]:
        """All or nothing: every op is checked against the state before any is applied."""
        staged: list[tuple[str, str, Props | None]] = []
        for kind, entity, options in ops:
            pk, rk = str(entity["PartitionKey"]), str(entity["RowKey"])
            held = self.rows.get(pk, {}).get(rk)
            wanted = options.get("etag") if options.get("match_condition") is not None else None
            if kind == "create" and held is not None:
                raise Refused(409, f"{pk}/{rk} exists")
            if kind in ("update", "delete") and held is None:
                raise Refused(404, f"{pk}/{rk} not found")
            if wanted is not None and held is not None and held[1] != wanted:
                raise Refused(412, f"{pk}/{rk} changed")
            if kind == "delete":
                staged.append((pk, rk, None))
                continue
            props = {k: _stored(v) for k, v in entity.items() if k not in ("PartitionKey", "RowKey") and v is not None}
            merged = held is not None and kind != "create" and _mode(options) == _MERGE
            staged.append((pk, rk, {**held[0], **props} if merged and held is not None else props))
        return [self._put(*op) for op in staged]

    def _put(self, pk: str, rk: str, props: Props | None) -> dict[str, Any]:
        partition, keys = self.rows.setdefault(pk, {}), self.keys.setdefault(pk, [])
        if props is None:
            del partition[rk]
            del keys[bisect.bisect_left(keys, rk)]
            return {}
        if rk not in partition:
            bisect.insort(keys, rk)
        etag = f'W/"{next(self._etags)}"'
        partition[rk] = (props, etag)
        return {"etag": etag}

    def entities(self) -> Iterator[Props]:
        """Every entity as written (keys and properties), partition by partition in key order."""
        for pk in sorted(self.rows):
            for rk in self.keys[pk]:
                yield {"PartitionKey": pk, "RowKey": rk, **self.rows[pk][rk][0]}


class Pages:
    """Query results: iterated whole, or by_page() whose first page holds `results_per_page`."""

    def __init__(self, rows: list[Row], per_page: int | None) -> None:
        self.rows, self.per_page = rows, per_page

    def __iter__(self) -> Iterator[Row]:
        return iter(self.rows)

    def by_page(self) -> Iterator[list[Row]]:
        size = self.per_page or max(len(self.rows), 1)
        return (self.rows[i : i + size] for i in range(0, len(self.rows), size))


class MemoryService:
    """The TableServiceClient side: tables by name, created on first use."""

    def __init__(self, account_name: str = "memory") -> None:
        self.account_name = account_name
        self.tables: dict[str, MemoryTable] = {}
        self._etags = itertools.count(1)

    def create_table_if_not_exists(self, table_name: str, **_: Any) -> MemoryTable:
        return self.tables.setdefault(table_name, MemoryTable(table_name, self._etags))


def _mode(options: Mapping[str, Any]) -> str:
    mode = options.get("mode", _MERGE)
    return str(getattr(mode, "value", mode))


def _stored(value: Any) -> Any:
    """A value as the SDK would send it: a plain integer beyond 32 bits is refused (TypeError) as the SDK does."""
    if isinstance(value, int) and not isinstance(value, bool) and not -_INT32 <= value < _INT32:
        raise TypeError(f"{value} is too large to be cast to type EdmType.INT32")
    return copy.copy(value)


def _entity(pk: str, rk: str, props: Props, etag: str) -> Row:
    entity = Row({"PartitionKey": pk, "RowKey": rk, **props})
    entity.metadata = {"etag": etag, "timestamp": None}
    return entity


# filters


@lru_cache(maxsize=256)
def parse_filter(text: str) -> Node:
    """The tree of an OData filter: ("and"|"or", left, right), ("not", inner), ("cmp", op, left, right)."""
    tokens = _TOKEN.findall(text)
    if "".join(tokens).replace(" ", "") != text.replace(" ", ""):
        raise Refused(400, f"filter not understood: {text}")
    tree, rest = _or(tokens)
    if rest:
        raise Refused(400, f"filter not understood: {text}")
    return tree


def _or(tokens: list[str]) -> tuple[Node, list[str]]:
    left, tokens = _and(tokens)
    while tokens[:1] == ["or"]:
        right, tokens = _and(tokens[1:])
        left = ("or", left, right)
    return left, tokens


def _and(tokens: list[str]) -> tuple[Node, list[str]]:
    left, tokens = _atom(tokens)
    while tokens[:1] == ["and"]:
        right, tokens = _atom(tokens[1:])
        left = ("and", left, right)
    return left, tokens


def _atom(tokens: list[str]) -> tuple[Node, list[str]]:
    if tokens[0] == "(":
        inner, tokens = _or(tokens[1:])
        return inner, tokens[1:]
    if tokens[0] == "not":
        inner, tokens = _atom(tokens[1:])
        return ("not", inner), tokens
    return ("cmp", tokens[1], _operand(tokens[0]), _operand(tokens[2])), tokens[3:]


def _operand(token: str) -> Node:
    if token.startswith("'"):
        return ("lit", token[1:-1].replace("''", "'"))
    if token.startswith("@"):
        return ("param", token[1:])
    if token in ("true", "false"):
        return ("lit", token == "true")
    if token[0].isdigit() or token[0] == "-":
        return ("lit", float(token) if any(c in token for c in ".eE") else int(token))
    return ("prop", token)


def conjuncts(tree: Node) -> list[Node]:
    """The terms a filter's top level joins with `and`."""
    return conjuncts(tree[1]) + conjuncts(tree[2]) if tree[0] == "and" else [tree]


_MISSING = object()


def _value(node: Node, params: Mapping[str, Any], row: Mapping[str, Any] | None = None) -> Any:
    if node[0] == "param":
        return params[node[1]]
    if node[0] == "prop":
        return (row or {}).get(node[1], _MISSING)
    return node[1]


def _holds(tree: Node, row: Mapping[str, Any], params: Mapping[str, Any]) -> bool:
    kind = tree[0]
    if kind == "and":
        return _holds(tree[1], row, params) and _holds(tree[2], row, params)
    if kind == "or":
        return _holds(tree[1], row, params) or _holds(tree[2], row, params)
    if kind == "not":
        return not _holds(tree[1], row, params)
    a, b = _value(tree[2], params, row), _value(tree[3], params, row)
    if a is _MISSING or b is _MISSING or (isinstance(a, str) != isinstance(b, str)):
        return False  # a property the entity lacks, or a string against a number, matches nothing
    compare: Callable[[Any, Any], bool] = _COMPARE[tree[1]]
    return compare(a, b)
