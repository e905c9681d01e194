"""API routers, one per ERP module; each route checks a permission and calls one domain service."""
