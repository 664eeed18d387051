"""A local stand-in for the Azure Functions host: serves function_app at the URLs `func start` uses."""
