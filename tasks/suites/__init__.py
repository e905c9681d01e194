"""The test phase's tasks: choose the suites, run each pytest suite in a subprocess, and record what it measured."""
