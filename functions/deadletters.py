"""/api/deadletters[/redrive] (the app's own dead letters) and /api/deadletters/eventgrid[/redrive] (Event Grid's)."""

import azure.functions as func

from functions._http import query, respond

bp = func.Blueprint()


@bp.function_name("deadletters")
@bp.route(route="deadletters", methods=["GET"])
def deadletters(req: func.HttpRequest) -> func.HttpResponse:
    """?type=&reason=&since=&until=&limit=&cursor=: newest first; `next` is the cursor of the next page."""
    from shared.app.bootstrap import reactor
    from shared.web import dead_letters

    return respond(dead_letters.list_letters(reactor(), query(req)))


@bp.function_name("deadletters_redrive")
@bp.route(route="deadletters/redrive", methods=["POST"])
def deadletters_redrive(req: func.HttpRequest) -> func.HttpResponse:
    """Body {type, reason, since, until, limit, cursor, dry_run}: dry run unless "dry_run": false."""
    from shared.app.bootstrap import reactor, settings
    from shared.web import dead_letters

    answer = dead_letters.redrive_letters(reactor(), req.get_body(), query(req), max_bytes=settings().max_body_bytes)
    return respond(answer)


@bp.function_name("deadletters_eventgrid")
@bp.route(route="deadletters/eventgrid", methods=["GET"])
def deadletters_eventgrid(req: func.HttpRequest) -> func.HttpResponse:
    """?subscription=&date=&hour=&limit=&cursor=: Event Grid's dead-letter blobs, each event classified."""
    from shared.app.bootstrap import settings
    from shared.app.letter_blobs import letter_blobs
    from shared.web import dead_letters

    return respond(dead_letters.list_blobs(lambda: letter_blobs(settings()), query(req)))


@bp.function_name("deadletters_eventgrid_redrive")
@bp.route(route="deadletters/eventgrid/redrive", methods=["POST"])
def deadletters_eventgrid_redrive(req: func.HttpRequest) -> func.HttpResponse:
    """Body {subscription, date, hour, limit, cursor, dry_run, again}: dry run unless "dry_run": false."""
    from shared.app.bootstrap import reactor, settings
    from shared.app.letter_blobs import letter_blobs
    from shared.web import dead_letters

    answer = dead_letters.redrive_eventgrid(
        reactor(),
        lambda: letter_blobs(settings()),
        req.get_body(),
        query(req),
        max_bytes=settings().max_body_bytes,
    )
    return respond(answer)
