"""azureml."""
