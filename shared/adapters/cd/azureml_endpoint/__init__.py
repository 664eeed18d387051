"""The azureml_endpoint CD target: deployments and traffic on Azure ML managed online endpoints, and their health."""
