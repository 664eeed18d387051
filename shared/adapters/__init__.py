"""Adapters: one module per technology, each implementing a port of shared/core/ports.py."""
