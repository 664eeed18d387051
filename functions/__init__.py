"""Trigger bodies: translate the binding into a call to the core, and the outcome back. Nothing heavier."""
