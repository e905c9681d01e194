"""Markdown to a self-contained HTML page with markdown-it-py (CommonMark plus tables; raw HTML is escaped)."""

from __future__ import annotations

import html

from markdown_it import MarkdownIt

CSS = """
body { margin: 0; font: 15px/1.55 -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif;
       color: #1f2328; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem; }
h1, h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
code { background: #f6f8fa; padding: .1rem .3rem; border-radius: 4px; font-size: 90%; }
pre { background: #f6f8fa; padding: .8rem; overflow-x: auto; }
pre code { padding: 0; }
""".strip()

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
{css}
</style>
</head>
<body>
<main>
{body}</main>
</body>
</html>
"""


def to_html(markdown: str, title: str) -> str:
    """A full HTML page of `markdown`; text that looks like HTML (`<token>`) is shown, not interpreted."""
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    return PAGE.format(title=html.escape(title), css=CSS, body=parser.render(markdown))
