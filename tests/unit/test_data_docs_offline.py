"""GX Data Docs render with no network: every stylesheet, script and font a page loads is a file of the site."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from expectations.docs import build_data_docs
from expectations.offline_assets import localize_site
from tests.e2e.browser import browser_page, requires_chromium, screenshot
from tests.unit.gate_cases import FIRST_LABEL, clean_batch

ASSET_ATTRIBUTES = {"link": "href", "script": "src", "img": "src"}


class AssetRefs(HTMLParser):
    """The (tag, URL) of every stylesheet, script and image a page loads."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = ASSET_ATTRIBUTES.get(tag)
        value = dict(attrs).get(wanted) if wanted else None
        if value:
            self.refs.append((tag, value))


def asset_refs(page: Path) -> list[tuple[str, str]]:
    parser = AssetRefs()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.refs


def is_remote(url: str) -> bool:
    return re.match(r"(?i)(https?:)?//", url) is not None


@pytest.fixture(scope="module")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site built as the gate's docs are, with a failed sample, so it has index, suite and validation pages."""
    sample = clean_batch("customers")
    sample.loc[FIRST_LABEL + 2, "name"] = "王芳'; DROP TABLE customers; --"
    site = tmp_path_factory.mktemp("offline") / "docs"
    assert build_data_docs(site, "customers", sample) == site / "index.html"
    return site


def pages(site: Path) -> list[Path]:
    found = [p for p in site.rglob("*.html") if p.relative_to(site).parts[0] != "static"]
    assert {p.relative_to(site).parts[0] for p in found} >= {"index.html", "expectations", "validations"}
    return found


def test_no_page_loads_a_stylesheet_script_or_image_from_the_network(docs: Path) -> None:
    remote = {f"{page.relative_to(docs)}: <{tag}> {url}"
              for page in pages(docs) for tag, url in asset_refs(page) if is_remote(url)}

    assert remote == set(), "unmapped CDN URLs: vendor them and add them to expectations.offline_assets.CDN_ASSETS"


def test_every_localized_asset_is_a_file_of_the_site_also_from_nested_pages(docs: Path) -> None:
    missing = []
    for page in pages(docs):
        # GX's own favicon link is left out: GX writes it one directory short on validation pages
        localized = [url for tag, url in asset_refs(page) if "static/vendor/" in url or tag == "img"]
        assert len(localized) == 16, page  # 15 stylesheets and scripts, and the logo
        for url in localized:
            target = (page.parent / url.split("?", 1)[0]).resolve()
            if not (target.is_file() and docs.resolve() in target.parents):
                missing.append(f"{page.relative_to(docs)}: {url}")

    assert missing == []


def test_the_font_awesome_stylesheet_finds_its_fonts(docs: Path) -> None:
    stylesheet = next(docs.glob("static/vendor/fontawesome-free-*/css/all.min.css"))
    fonts = set(re.findall(r"url\(([^)]+)\)", stylesheet.read_text(encoding="utf-8")))

    assert {Path(f).suffix for f in fonts} == {".woff2", ".ttf"}
    assert [f for f in fonts if not (stylesheet.parent / f).is_file()] == []


def test_the_vendored_assets_carry_their_licences(docs: Path) -> None:
    packages = [d for d in (docs / "static" / "vendor").iterdir() if d.is_dir()]

    assert len(packages) >= 10
    assert [d.name for d in packages if not list(d.glob("LICENSE*"))] == []


def test_a_cdn_url_with_no_vendored_copy_is_reported_and_left_alone(tmp_path: Path) -> None:
    page = tmp_path / "validations" / "run" / "page.html"
    page.parent.mkdir(parents=True)
    page.write_text(
        '<script src="https://code.jquery.com/jquery-3.7.1.min.js" integrity="sha384-x" crossorigin="anonymous">'
        '</script>\n<link rel="stylesheet" href="https://cdn.example.org/new.css">\n'
        '<a href="https://greatexpectations.io">GX</a>', encoding="utf-8")

    assert localize_site(tmp_path) == ["https://cdn.example.org/new.css"]
    assert page.read_text(encoding="utf-8") == (
        '<script src="../../static/vendor/jquery-3.7.1/dist/jquery.min.js"></script>\n'
        '<link rel="stylesheet" href="https://cdn.example.org/new.css">\n'
        '<a href="https://greatexpectations.io">GX</a>')


@requires_chromium
def test_the_index_page_is_styled_and_scripted_in_a_browser_with_no_network(docs: Path) -> None:
    from playwright.sync_api import Route

    blocked: list[str] = []

    def offline(route: Route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    with browser_page(name="data-docs-offline") as page:
        page.route("**/*", offline)
        page.goto((docs / "index.html").as_uri(), wait_until="load")
        loaded = page.evaluate("""async () => ({
            bodyMargin: getComputedStyle(document.body).margin,
            navbarDisplay: getComputedStyle(document.querySelector('.navbar')).display,
            scripts: [typeof jQuery, typeof jQuery.fn.bootstrapTable, typeof jQuery.fn.tooltip, typeof vegaEmbed],
            iconFonts: (await document.fonts.load('900 16px "Font Awesome 6 Free"')).length,
        })""")
        screenshot(page, "data-docs-offline")

    assert blocked == []
    assert loaded["bodyMargin"] == "0px"  # bootstrap's reboot; a browser's default is 8px
    assert loaded["navbarDisplay"] == "flex"
    assert loaded["scripts"] == ["function"] * 4
    assert loaded["iconFonts"] >= 1  # the solid icon font loaded from the site
