"""erpops' faces: the `erpops` command line, the HTTP API and the demo."""
