"""The ERP HTTP API (FastAPI): thin routes over the domain services, bearer tokens, JSON errors."""
