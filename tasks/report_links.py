"""Link artifacts that open from the Prefect UI: signed http(s) links to the ERP API's `/reports/...`."""

from __future__ import annotations

from pathlib import Path

from prefect.artifacts import create_link_artifact

from infra.db import UnitOfWork
from infra.report_links import signed_url


def publish_link(path: Path, *, link_text: str, key: str, folder: bool = False, description: str | None = None) -> str:
    """A link artifact to `path` (with `folder`, the whole folder it is in: a site's pages link to each other);
    returns the link. The link opens while `erpops api` (or any ERP API on this database) serves it."""
    with UnitOfWork() as uow:
        url = signed_url(uow.session, path, folder=folder)
        uow.commit()  # the signing key, the first time one is needed
    create_link_artifact(url, link_text=link_text, key=key, description=description)
    return url
