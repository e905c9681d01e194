"""The trial-run portal's domain: sign-in (tokens, one-time links, sessions), feedback screenshots, shared keys."""

from erp_models.portal import models

__all__ = ["models"]
