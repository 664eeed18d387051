"""Warmup: when the platform adds an instance, load what the first event would (azure-ai-ml, the job files)."""

import logging

import azure.functions as func
from azure.functions.warmup import WarmUpContext  # listed in azure.functions.__all__ but not exported there

bp = func.Blueprint()
log = logging.getLogger("mlops_reactor")


@bp.function_name("warmup")
@bp.warm_up_trigger(arg_name="context")
def warmup(context: WarmUpContext) -> None:
    """Build the reactor and its Azure ML client before traffic arrives (events still load lazily without it)."""
    import time

    from shared.app.bootstrap import warm

    start = time.perf_counter()
    loaded = warm()
    log.info(
        "warmup %s in %.2f s",
        "loaded azure-ai-ml and the job files" if loaded else "built the reactor",
        time.perf_counter() - start,
    )
