"""What every chart shares: the figure, the fonts (CJK when installed), the status colours and the PNG output.

matplotlib is imported inside the functions only: importing it costs the CLI about a third of a second at start-up.
"""

from __future__ import annotations

import base64
import functools
import re
import shutil
import subprocess
import warnings
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axis import Axis
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

DPI = 100
GREY = "#9e9e9e"
BLUE = "#1f77b4"
GREEN = "#2ca02c"
DARK_GREEN = "#1b5e20"
ORANGE = "#f28e2b"
RED = "#d62728"
TODAY = "#444444"

# Families that cover simplified Chinese, most common first; fontconfig is asked when none is known to matplotlib.
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei", "Sarasa Gothic SC", "Microsoft YaHei", "PingFang SC", "Hiragino Sans GB", "SimHei",
    "Heiti SC", "AR PL UMing CN", "Droid Sans Fallback", "Noto Sans CJK JP",
)
_CJK_CHARS = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\U00020000-\U0002fa1f]+")
_GLYPH_MISSING = r"Glyph \d+ .* missing from font"


@functools.cache
def cjk_family() -> str | None:
    """The family of an installed font that renders Chinese, or None when there is none."""
    from matplotlib import font_manager

    installed = set(font_manager.fontManager.get_font_names())
    known = next((family for family in CJK_FAMILIES if family in installed), None)
    return known or _register_fontconfig_cjk_font()


def _register_fontconfig_cjk_font() -> str | None:
    # matplotlib caches its font list once per version, so a CJK font installed later is only known to fontconfig.
    if shutil.which("fc-list") is None:
        return None
    from matplotlib import font_manager

    listed = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, check=False).stdout
    for path in sorted(line.strip().rstrip(":") for line in listed.splitlines() if line.strip()):
        try:
            font_manager.fontManager.addfont(path)
            return str(font_manager.get_font(path).family_name)
        except (OSError, RuntimeError, ValueError):
            continue
    return None


def font(size: float | None = None) -> FontProperties:
    """Latin glyphs from DejaVu Sans, the others from the CJK font (matplotlib falls back glyph by glyph).

    Regular weight only: most CJK fonts have no bold face, and asking for one logs a warning per family.
    """
    from matplotlib.font_manager import FontProperties

    cjk = cjk_family()
    return FontProperties(family=["DejaVu Sans", cjk] if cjk else ["DejaVu Sans"], size=size)


def legible(text: str, fallback: str = "") -> str:
    """`text` as it can be drawn: without its Chinese characters when no font renders them, rather than as boxes."""
    if cjk_family():
        return text
    latin = " ".join(_CJK_CHARS.sub(" ", text).split()).strip(" -–—&/|·:,;()")
    return latin or fallback


def new_figure(width: float, height: float) -> Figure:
    """A figure on the Agg canvas, outside pyplot's global state, so threads may render side by side."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


# matplotlib.dates ships no type hints, hence the ignores in the two helpers below.
def day_number(day: date) -> float:
    """`day` as matplotlib's date axis counts it (the start of the day)."""
    from matplotlib import dates as mdates

    return float(mdates.date2num(day))  # type: ignore[no-untyped-call]


def format_dates(axis: Axis, max_ticks: int) -> None:
    """Concise date ticks on `axis` ("Jul", "15", "2026"), the year shown once."""
    from matplotlib import dates as mdates

    locator = mdates.AutoDateLocator(maxticks=max_ticks)  # type: ignore[no-untyped-call]
    axis.set_major_locator(locator)
    axis.set_major_formatter(mdates.ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def save_png(figure: Figure, out: Path) -> Path:
    """Write `figure` to `out` without the software tag, so the same chart gives the same bytes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_GLYPH_MISSING, category=UserWarning)
        figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out


def png_data_uri(path: Path) -> str:
    """The PNG at `path` as a `data:` URI, to embed in a Markdown artifact."""
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
