"""GET/POST /api/approvals/{model}/{version}: the approval page, and the decision."""

import azure.functions as func

from functions._http import respond

bp = func.Blueprint()


@bp.function_name("approvals")
@bp.route(route="approvals/{model}/{version}", methods=["GET", "POST"])
def approvals(req: func.HttpRequest) -> func.HttpResponse:
    """GET renders the page; POST (form or JSON) records approve / reject with the approver's identity."""
    from shared.app.bootstrap import reactor, settings
    from shared.web import answers, approval_page, http_api
    from shared.web.principal import principal_name

    model, version = req.route_params["model"], req.route_params["version"]
    local = settings().mode == "local"  # no platform sign-in locally: the form names the approver
    # The principal header is trustworthy only behind App Service Authentication, which sets it.
    who = principal_name(req.headers) if settings().platform_sign_in else None
    if req.method == "GET":
        return respond(approval_page.render(reactor(), model, version, ask_name=local, signed_in=who))
    content_type = req.headers.get("content-type") or ""
    answer = http_api.approval_request(
        reactor(),
        model,
        version,
        req.get_body(),
        content_type,
        {answers.PRINCIPAL_HEADER: who or ""},
        trust_body_identity=local,
        max_bytes=settings().max_body_bytes,
    )
    if "json" in content_type or answer[0] == 413:  # too large: not worth a page
        return respond(answer)
    page = approval_page.after_decision(reactor(), model, version, answer, ask_name=local, signed_in=who)
    if page is None:  # recorded: post/redirect/get, so the browser shows the new stage and a reload is harmless
        return func.HttpResponse(status_code=303, headers={"Location": req.url})
    return respond(page)


@bp.function_name("approval_renewal")
@bp.route(route="approvals/{model}/{version}/request", methods=["POST"])
def approval_renewal(req: func.HttpRequest) -> func.HttpResponse:
    """POST asks for a fresh approval request (after expiry, or when its evidence changed); who asks is recorded."""
    from shared.app.bootstrap import reactor, settings
    from shared.web.approval_request import request_fresh
    from shared.web.principal import principal_name

    model, version = req.route_params["model"], req.route_params["version"]
    local = settings().mode == "local"
    who = principal_name(req.headers) if settings().platform_sign_in else None
    answer = request_fresh(
        reactor(),
        model,
        version,
        req.get_body(),
        req.headers.get("content-type") or "",
        {"x-ms-client-principal-name": who or ""},
        trust_body_identity=local,
        max_bytes=settings().max_body_bytes,
    )
    if "json" in (req.headers.get("content-type") or "") or answer[0] >= 400:
        return respond(answer)
    return func.HttpResponse(status_code=303, headers={"Location": req.url.rsplit("/request", 1)[0]})
