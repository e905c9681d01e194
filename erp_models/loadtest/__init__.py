"""Load-test domain: result statistics, the threshold grammar and its verdicts, the knee, and the profiles.

Pure: no locust, no prefect. The Locust runner (loadtests/) writes result.json; this package reads it and judges it.
"""
