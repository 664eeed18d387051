"""The Azure Functions app: create it and register one blueprint per module of functions/. Nothing else."""

import azure.functions as func

from functions import (
    aml_events,
    approvals,
    deadletters,
    deployments,
    health,
    ledger,
    reconcile,
    replay,
    silences,
    sweep,
    warmup,
)

app = func.FunctionApp(http_auth_level=func.AuthLevel.FUNCTION)
for module in (
    aml_events,
    replay,
    deployments,
    approvals,
    ledger,
    health,
    sweep,
    reconcile,
    deadletters,
    silences,
    warmup,
):
    app.register_functions(module.bp)
