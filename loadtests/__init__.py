"""Locustfiles and throughput benchmarks; they drive erpops through its faces (CLI and API)."""
