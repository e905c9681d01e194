"""Errors a user can act on: each renders as one clear line, never as a traceback."""

from __future__ import annotations


class ErpopsError(Exception):
    """A problem with input, configuration or environment that the user can fix."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(ErpopsError):
    """A setting is malformed or contradicts another."""


class DatabaseUnavailable(ErpopsError):
    """PostgreSQL could not be reached or refused the connection."""


class PortInUse(ErpopsError):
    """A port erpops needs is held by another program."""


class StackError(ErpopsError):
    """A server of the embedded stack failed to start or stop."""


class SchemaNotCurrent(ErpopsError):
    """The database's schema is not at the revision this erpops expects."""
