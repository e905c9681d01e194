"""Load-test tasks: the run's data, the API and Locust subprocesses, the verdict, the evidence and the report."""
