"""Timer: every five minutes, finish events whose delivery stopped after their decision was committed; once a day,
prune history older than REACTOR_RETENTION_DAYS (when set)."""

import logging

import azure.functions as func

bp = func.Blueprint()
log = logging.getLogger("mlops_reactor")


@bp.function_name("sweep")
@bp.timer_trigger(arg_name="timer", schedule="0 */5 * * * *", run_on_startup=False, use_monitor=True)
def sweep(timer: func.TimerRequest) -> None:
    """Adopt committed events whose lease ran out and carry out their pending intents (bounded per run)."""
    from shared.app.bootstrap import apply_retention, reactor, swept

    finished = reactor().sweep(limit=100)
    swept(finished)
    if finished:
        log.info("sweep finished %d stalled event(s): %s", len(finished), ", ".join(o.id for o in finished))
    pruned = apply_retention()
    if pruned is not None:
        log.info("retention pruned %s", ", ".join(f"{n} {what}" for what, n in pruned.items()))
