"""Make a GX Data Docs site render offline: its pages load vendored copies of the CDN assets GX links.

GX 1.x hard-codes CDN URLs in its page templates and has no setting for local assets, so the built pages are
rewritten here: a regex over the ``href``/``src`` of ``link``, ``script`` and ``img`` tags, which is enough for the
markup GX's own templates emit. A URL with no vendored copy is left as it was and reported, never guessed.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Mapping
from pathlib import Path

logger = logging.getLogger(__name__)

VENDOR_DIR = Path(__file__).with_name("vendor")
SITE_VENDOR_DIR = "static/vendor"  # relative to the site's root, beside the static/ files GX copies itself

_CDNJS = "https://cdnjs.cloudflare.com/ajax/libs"
_JSDELIVR = "https://cdn.jsdelivr.net/npm"
_UNPKG = "https://unpkg.com"
_FILTER_CONTROL = "dist/extensions/filter-control/bootstrap-table-filter-control"

# Each asset URL in GX's templates (query string dropped) and the file under vendor/ that replaces it.
CDN_ASSETS: Mapping[str, str] = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css":
        "bootstrap-4.3.1/dist/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js":
        "bootstrap-4.3.1/dist/js/bootstrap.min.js",
    f"{_UNPKG}/bootstrap-table@1.19.1/dist/bootstrap-table.min.css":
        "bootstrap-table-1.19.1/dist/bootstrap-table.min.css",
    f"{_UNPKG}/bootstrap-table@1.19.1/dist/bootstrap-table.min.js":
        "bootstrap-table-1.19.1/dist/bootstrap-table.min.js",
    f"{_UNPKG}/bootstrap-table@1.19.1/{_FILTER_CONTROL}.min.js": f"bootstrap-table-1.19.1/{_FILTER_CONTROL}.min.js",
    f"{_UNPKG}/bootstrap-table@1.19.0/{_FILTER_CONTROL}.css": f"bootstrap-table-1.19.0/{_FILTER_CONTROL}.css",
    f"{_UNPKG}/bootstrap-table@1.19.0/{_FILTER_CONTROL}.min.css": f"bootstrap-table-1.19.0/{_FILTER_CONTROL}.min.css",
    f"{_CDNJS}/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css":
        "bootstrap-datepicker-1.9.0/dist/css/bootstrap-datepicker.min.css",
    f"{_CDNJS}/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js":
        "bootstrap-datepicker-1.9.0/dist/js/bootstrap-datepicker.min.js",
    f"{_CDNJS}/font-awesome/6.6.0/css/all.min.css": "fontawesome-free-6.6.0/css/all.min.css",
    f"{_CDNJS}/popper.js/1.12.9/umd/popper.min.js": "popper.js-1.12.9/dist/umd/popper.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery-3.7.1/dist/jquery.min.js",
    # the package's minified build of the same stylesheet
    f"{_JSDELIVR}/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css":
        "bootstrap-dark-1.1.0/dist/css/bootstrap-prefers-dark.min.css",
    f"{_JSDELIVR}/vega@5": "vega-5.33.1/build/vega.min.js",
    f"{_JSDELIVR}/vega-lite@5": "vega-lite-5.23.0/build/vega-lite.min.js",
    f"{_JSDELIVR}/vega-embed@6": "vega-embed-6.29.0/build/vega-embed.min.js",
}
# The navbar logo GX links from S3 is also among the images it copies into every site.
SITE_ASSETS: Mapping[str, str] = {
    "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png": "static/images/logo-long.png",
}

_TAG = re.compile(r"<(?:link|script|img)\b[^>]*>", re.IGNORECASE)
_REMOTE_URL = re.compile(r"""(?<![\w-])(?:href|src)\s*=\s*(["'])(?P<url>(?:https?:)?//[^"']*)\1""", re.IGNORECASE)
# Subresource integrity and CORS mode describe the CDN's copy; a file:// page would refuse the local one.
_CDN_ATTRIBUTE = re.compile(r"""\s+(?:integrity|crossorigin)\b(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?""",
                            re.IGNORECASE)


def localize_site(site: Path) -> list[str]:
    """Copy the vendored assets into ``site`` and point its pages at them; the remote URLs left as they were."""
    shutil.copytree(VENDOR_DIR, site / SITE_VENDOR_DIR, dirs_exist_ok=True)
    unmapped: set[str] = set()
    for page in site.rglob("*.html"):
        relative = page.relative_to(site)
        if relative.parts[0] != "static":
            _localize_page(page, "../" * (len(relative.parts) - 1), unmapped)
    if unmapped:
        logger.warning("Data Docs in %s still load from the network: %s", site, ", ".join(sorted(unmapped)))
    return sorted(unmapped)


def local_path(url: str) -> str | None:
    """The site-relative path of the local copy of the asset at ``url``, or None when there is none."""
    bare = url.split("#", 1)[0].split("?", 1)[0]
    if bare in CDN_ASSETS:
        return f"{SITE_VENDOR_DIR}/{CDN_ASSETS[bare]}"
    return SITE_ASSETS.get(bare)


def _localize_page(page: Path, to_root: str, unmapped: set[str]) -> None:
    """Point the tags of ``page`` at the local copies, ``to_root`` being its relative path to the site's root."""
    html = page.read_text(encoding="utf-8")
    localized = _TAG.sub(lambda tag: _localize_tag(tag.group(0), to_root, unmapped), html)
    if localized != html:
        page.write_text(localized, encoding="utf-8")


def _localize_tag(tag: str, to_root: str, unmapped: set[str]) -> str:
    """``tag`` loading its asset from ``to_root`` + the local copy; unchanged (and noted) when there is none."""
    found = _REMOTE_URL.search(tag)
    if found is None:
        return tag
    local = local_path(found["url"])
    if local is None:
        unmapped.add(found["url"])
        return tag
    return _CDN_ATTRIBUTE.sub("", tag[:found.start("url")] + to_root + local + tag[found.end("url"):])
