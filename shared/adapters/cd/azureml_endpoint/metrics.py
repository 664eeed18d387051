"""A deployment's health from Azure Monitor's metrics REST API (Metrics - List) on its online endpoint.

`RequestsPerMinute` (Total, split by `statusCodeClass`) gives requests and 5xx; `RequestLatency_<P>` (Average)
the latency percentile, both filtered to the deployment. The worst minute's latency counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import requests

from shared.adapters.cd.azureml_endpoint.errors import by_status
from shared.core.errors import TransientError
from shared.core.rollout_endpoints import Health

API_VERSION = "2023-10-01"
SCOPE = "https://management.azure.com/.default"


class MonitorMetrics:
    """Reads one deployment's request and latency metrics over a window."""

    def __init__(self, arm_url: str, token: Callable[[], str], session: requests.Session | None = None) -> None:
        self.arm_url = arm_url.rstrip("/")
        self.token = token
        self.session = session or requests.Session()

    def health(self, endpoint_id: str, deployment: str, since: datetime, until: datetime, percentile: str) -> Health:
        """Requests, 5xx and the worst minute's latency percentile of `deployment` between two times."""
        window = f"{_iso(since)}/{_iso(until)}"
        requests_by_class = self._query(
            endpoint_id,
            "RequestsPerMinute",
            "Total",
            f"deployment eq '{deployment}' and statusCodeClass eq '*'",
            window,
        )
        latency = self._query(
            endpoint_id, f"RequestLatency_{percentile}", "Average", f"deployment eq '{deployment}'", window
        )
        total = errors = 0.0
        for series in _series(requests_by_class):
            count = sum(float(point.get("total") or 0) for point in series.get("data", []))
            total += count
            if _dimension(series, "statuscodeclass") == "5xx":
                errors += count
        worst = [
            float(p["average"]) for s in _series(latency) for p in s.get("data", []) if p.get("average") is not None
        ]
        return Health(
            requests=total,
            errors=errors,
            latency_ms=max(worst) if worst else None,
            percentile=percentile,
            since=since.isoformat(),
            until=until.isoformat(),
        )

    def _query(self, resource: str, metric: str, aggregation: str, where: str, window: str) -> Mapping[str, Any]:
        params = {
            "api-version": API_VERSION,
            "metricnames": metric,
            "aggregation": aggregation,
            "interval": "PT1M",
            "timespan": window,
            "$filter": where,
        }
        url = f"{self.arm_url}{resource}/providers/Microsoft.Insights/metrics"
        doing = f"reading {metric} of {resource.rsplit('/', 1)[-1]} from Azure Monitor"
        try:
            response = self.session.get(
                url, params=params, headers={"Authorization": f"Bearer {self.token()}"}, timeout=10
            )
        except requests.RequestException as exc:
            raise TransientError(f"{doing}: could not reach Azure Monitor ({type(exc).__name__})") from exc
        if response.status_code != 200:
            raise by_status(response.status_code, doing, _message(response))
        body = response.json()
        if not isinstance(body, Mapping):
            raise TransientError(f"{doing}: not a metrics answer")
        return body


def _series(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for metric in body.get("value") or [] for s in metric.get("timeseries") or []]


def _dimension(series: Mapping[str, Any], name: str) -> str:
    for item in series.get("metadatavalues") or []:
        if str((item.get("name") or {}).get("value", "")).lower() == name:
            return str(item.get("value", ""))
    return ""


def _message(response: requests.Response) -> str:
    try:
        error = response.json().get("error") or {}
        return f"{error.get('code', '')}: {error.get('message', '')}"[:300]
    except ValueError:
        return response.text[:300]


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
