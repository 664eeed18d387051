"""Who is signed in, as App Service Authentication says: X-MS-CLIENT-PRINCIPAL (base64 JSON of the token's claims)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping

PRINCIPAL = "x-ms-client-principal"  # {"auth_typ", "name_typ", "claims": [{"typ", "val"}, ...]}
PRINCIPAL_NAME = "x-ms-client-principal-name"
_NAME_CLAIMS = ("preferred_username", "upn", "email", "name")


def principal_name(headers: Mapping[str, str]) -> str | None:
    """The signed-in user's name from the principal's claims (its name_typ first), else the -NAME header.

    Only meaningful behind App Service Authentication, which strips these headers from incoming requests.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    claims, name_type = _claims(lowered.get(PRINCIPAL, ""))
    for wanted in (name_type, *_NAME_CLAIMS):
        found = next((v for t, v in claims if wanted and t == wanted and v.strip()), None)
        if found:
            return found.strip()
    return (lowered.get(PRINCIPAL_NAME) or "").strip() or None


def _claims(encoded: str) -> tuple[list[tuple[str, str]], str]:
    if not encoded:
        return [], ""
    try:
        body = json.loads(base64.b64decode(encoded + "=" * (-len(encoded) % 4)))
    except (binascii.Error, ValueError):
        return [], ""
    if not isinstance(body, dict) or not isinstance(body.get("claims"), list):
        return [], ""
    pairs = [(str(c.get("typ", "")), str(c.get("val", ""))) for c in body["claims"] if isinstance(c, dict)]
    return pairs, str(body.get("name_typ") or "")
