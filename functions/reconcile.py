"""Timer (schedule: the REACTOR_RECONCILE_SCHEDULE app setting, every five minutes by default): reconcile."""

import logging

import azure.functions as func

bp = func.Blueprint()
log = logging.getLogger("mlops_reactor")


@bp.function_name("reconcile")
@bp.timer_trigger(arg_name="timer", schedule="%REACTOR_RECONCILE_SCHEDULE%", run_on_startup=False, use_monitor=True)
def reconcile(timer: func.TimerRequest) -> None:
    """Notice what no event told: finished or lost jobs, unreported CD, stalled events, a silent workspace."""
    from shared.app.bootstrap import reactor
    from shared.engine.reconcile import reconcile as run

    report = run(reactor())
    summary = report.as_json()
    log.info(
        "reconcile: checked %d, %d workspace call(s), fed %s, swept %d%s",
        report.checked,
        report.workspace_calls,
        summary["fed"],
        report.swept,
        f"; more next run: {', '.join(report.more)}" if report.more else "",
    )
    for error in report.errors:
        log.warning("reconcile: %s", error)
