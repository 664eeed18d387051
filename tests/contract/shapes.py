"""The documented request shapes (REFERENCE.md §5-§6), as checks a stub server runs on every request it receives."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import uuid
from email.utils import parsedate_to_datetime

from tests.contract.stub_server import Check, Seen

GITHUB_TOKEN = "ghp_test_token_1234567890"
ADO_PAT = "ado-pat-secret-0987654321"
ADO_TOKEN = "eyJ.entra.token"
ACS_KEY = base64.b64encode(b"acs-test-access-key-32-bytes-long!").decode()


def _json_body(seen: Seen, problems: list[str]) -> object:
    if not seen.headers.get("content-type", "").startswith("application/json"):
        problems.append(f"Content-Type must be application/json (got {seen.headers.get('content-type')!r})")
    try:
        return seen.json()
    except ValueError:
        problems.append("body is not JSON")
        return None


def github_dispatch(owner: str, repo: str, workflow: str) -> Check:
    """POST /repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches, per docs.github.com."""

    def check(seen: Seen) -> list[str]:
        problems: list[str] = []
        if seen.method != "POST" or seen.path != f"/repos/{owner}/{repo}/actions/workflows/{workflow}/dispatches":
            problems.append(f"unexpected {seen.method} {seen.path}")
        if seen.headers.get("accept") != "application/vnd.github+json":
            problems.append("Accept must be application/vnd.github+json")
        if seen.headers.get("authorization") != f"Bearer {GITHUB_TOKEN}":
            problems.append("Authorization must be 'Bearer <token>'")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", seen.headers.get("x-github-api-version", "")):
            problems.append("X-GitHub-Api-Version must be a dated version")
        body = _json_body(seen, problems)
        if not isinstance(body, dict):
            return [*problems, "body must be an object"]
        if set(body) - {"ref", "inputs", "return_run_details"}:
            problems.append(f"unknown body keys {sorted(set(body) - {'ref', 'inputs', 'return_run_details'})}")
        if not isinstance(body.get("ref"), str) or not body["ref"]:
            problems.append("ref is required (a branch or tag)")
        inputs = body.get("inputs", {})
        if not isinstance(inputs, dict) or len(inputs) > 25 or not all(isinstance(v, str) for v in inputs.values()):
            problems.append("inputs must be an object of at most 25 string values")
        if "return_run_details" in body and not isinstance(body["return_run_details"], bool):
            problems.append("return_run_details must be a boolean")
        return problems

    return check


def ado_run(org: str, project: str, pipeline_id: int) -> Check:
    """POST {org}/{project}/_apis/pipelines/{id}/runs?api-version=7.1 (Runs - Run Pipeline)."""

    def check(seen: Seen) -> list[str]:
        problems: list[str] = []
        if seen.method != "POST" or seen.path != f"/{org}/{project}/_apis/pipelines/{pipeline_id}/runs":
            problems.append(f"unexpected {seen.method} {seen.path}")
        if seen.query.get("api-version") != ["7.1"]:
            problems.append("api-version=7.1 is required")
        auth = seen.headers.get("authorization", "")
        basic = "Basic " + base64.b64encode(f":{ADO_PAT}".encode()).decode()
        if auth not in (basic, f"Bearer {ADO_TOKEN}"):
            problems.append("Authorization must be Basic base64(':'+PAT) or Bearer <Entra token>")
        body = _json_body(seen, problems)
        if not isinstance(body, dict):
            return [*problems, "body must be an object"]
        known = {"previewRun", "resources", "stagesToSkip", "templateParameters", "variables", "yamlOverride"}
        if set(body) - known:
            problems.append(f"unknown RunPipelineParameters keys {sorted(set(body) - known)}")
        params = body.get("templateParameters", {})
        if not isinstance(params, dict) or not all(isinstance(v, str) for v in params.values()):
            problems.append("templateParameters values must be strings")
        skip = body.get("stagesToSkip", [])
        if not isinstance(skip, list) or not all(isinstance(s, str) for s in skip):
            problems.append("stagesToSkip must be a list of stage names")
        ref = body.get("resources", {}).get("repositories", {}).get("self", {}).get("refName", "refs/")
        if not str(ref).startswith("refs/"):
            problems.append("resources.repositories.self.refName must be a full ref")
        return problems

    return check


def teams_workflow(seen: Seen) -> list[str]:
    """The envelope a Teams Workflows 'When a Teams webhook request is received' flow reads."""
    problems: list[str] = []
    if seen.method != "POST" or "sig" not in seen.query:
        problems.append("POST to the workflow URL with its sig= query")
    if len(seen.body) > 28 * 1024:
        problems.append(f"body is {len(seen.body)} bytes, over Teams' 28 KB")
    body = _json_body(seen, problems)
    if not isinstance(body, dict) or body.get("type") != "message" or not body.get("attachments"):
        return [*problems, "body must be {'type': 'message', 'attachments': [...]}"]
    for attachment in body["attachments"]:
        if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
            problems.append("contentType must be application/vnd.microsoft.card.adaptive")
        if "contentUrl" not in attachment or attachment["contentUrl"] is not None:
            problems.append("contentUrl must be null")
        card = attachment.get("content") or {}
        if card.get("type") != "AdaptiveCard":
            problems.append("content must be an AdaptiveCard")
        if tuple(int(p) for p in str(card.get("version", "9")).split(".")) > (1, 5):
            problems.append("Teams renders Adaptive Cards up to version 1.5")
        if any(a.get("type") == "Action.Submit" for a in card.get("actions", [])):
            problems.append("Action.Submit does not work through webhooks")
    return problems


def acs_send(host: str) -> Check:
    """POST /emails:send (2025-09-01): HMAC-signed, Operation-Id a UUID, an EmailMessage body."""

    def check(seen: Seen) -> list[str]:
        if seen.method == "GET":
            return [] if seen.path.startswith("/emails/operations/") else [f"unexpected GET {seen.path}"]
        problems: list[str] = []
        if seen.path != "/emails:send" or not seen.query.get("api-version"):
            problems.append(f"unexpected {seen.method} {seen.target}")
        try:
            uuid.UUID(seen.headers.get("operation-id", ""))
        except ValueError:
            problems.append("Operation-Id must be a UUID")
        problems += _hmac_problems(seen, host)
        body = _json_body(seen, problems)
        if not isinstance(body, dict) or not body.get("senderAddress") or not body.get("recipients", {}).get("to"):
            problems.append("senderAddress and recipients.to are required")
        elif not body.get("content", {}).get("subject"):
            problems.append("content.subject is required")
        return problems

    return check


def _hmac_problems(seen: Seen, host: str) -> list[str]:
    """The ACS HMAC-SHA256 scheme: the signature covers verb, path+query, date, host and the body's hash."""
    digest = base64.b64encode(hashlib.sha256(seen.body).digest()).decode()
    if seen.headers.get("x-ms-content-sha256") != digest:
        return ["x-ms-content-sha256 does not match the body"]
    date = seen.headers.get("x-ms-date", "")
    try:
        parsedate_to_datetime(date)
    except (TypeError, ValueError):
        return ["x-ms-date must be an HTTP date"]
    signed = f"{seen.method}\n{seen.target}\n{date};{host};{digest}"
    signature = base64.b64encode(hmac.new(base64.b64decode(ACS_KEY), signed.encode(), hashlib.sha256).digest())
    expected = f"HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature={signature.decode()}"
    return [] if seen.headers.get("authorization") == expected else ["the HMAC signature does not verify"]
