"""MLOps Reactor handler core: parses Azure ML events, decides, acts. Never imports azure.functions."""
