"""Chart images for Telegram (PNG), drawn with matplotlib's Agg backend. Chinese labels need
a CJK font on the machine (Debian: fonts-wqy-zenhei or fonts-noto-cjk); without one the
chart is still drawn, with missing glyphs, and a warning is logged once."""

from __future__ import annotations

import io
import logging
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

log = logging.getLogger(__name__)
# It warns on every label when a CJK font has no "normal" weight (WenQuanYi is "medium").
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
CJK_FONTS = (
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
_lock = threading.Lock()  # matplotlib's font cache is not thread-safe on first use


@cache
def _matplotlib() -> tuple[ModuleType, Any, Any]:
    """matplotlib (about 60 MiB with numpy) loads with the first chart, not at start:
    its font manager, Figure and MaxNLocator."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    return font_manager, Figure, MaxNLocator


@cache
def font_family() -> list[str]:
    font_manager, _, _ = _matplotlib()
    found = _cjk_fonts()
    if not found:
        # matplotlib's font list is cached on disk; a font installed since is not in it.
        for path in font_manager.findSystemFonts():
            if any(tag in path.lower() for tag in ("wqy", "cjk", "notosanssc", "sourcehan")):
                font_manager.fontManager.addfont(path)
        found = _cjk_fonts()
    if not found:
        log.warning("no CJK font found: chart labels in Chinese will not render")
    return [*found, "DejaVu Sans"]


def _cjk_fonts() -> list[str]:
    font_manager, _, _ = _matplotlib()
    installed = {f.name for f in font_manager.fontManager.ttflist}
    return [name for name in CJK_FONTS if name in installed]


@dataclass(frozen=True)
class Bars:
    title: str
    labels: Sequence[str]
    values: Sequence[float]
    horizontal: bool = False
    colors: Sequence[str] = ()  # one per bar; default one colour for all
    unit: str = ""  # with it, each bar is labelled with its value and the unit


def bar_charts(panels: Sequence[Bars], title: str) -> bytes:
    """One PNG with a bar chart per panel, stacked."""
    with _lock:
        family = font_family()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # missing glyphs: logged once above
        return _draw(panels, title, family)


def _draw(panels: Sequence[Bars], title: str, family: list[str]) -> bytes:
    _, Figure, MaxNLocator = _matplotlib()  # noqa: N806 (classes)
    shown = [p for p in panels if p.values]
    figure = Figure(figsize=(7, 2.6 * max(1, len(shown)) + 0.6), dpi=110)
    figure.suptitle(title, fontfamily=family, fontsize=13)
    for index, panel in enumerate(shown, start=1):
        axes = figure.add_subplot(len(shown), 1, index)
        positions = range(len(panel.values))
        if panel.horizontal:
            bars = axes.barh(
                list(positions), list(panel.values), color=list(panel.colors) or "#c0392b"
            )
            if panel.unit:
                values = [f"{v:g}{panel.unit}" for v in panel.values]
                axes.bar_label(bars, labels=values, fontsize=8, padding=3)
                axes.margins(x=0.15)
            axes.set_yticks(list(positions), list(panel.labels), fontfamily=family, fontsize=9)
            axes.invert_yaxis()
            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        else:
            axes.bar(list(positions), list(panel.values), color="#2c7fb8")
            axes.set_xticks(list(positions), list(panel.labels), fontfamily=family, fontsize=8)
            axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_title(panel.title, fontfamily=family, fontsize=11, loc="left")
        axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def qr_png(data: str, scale: int = 10) -> bytes:
    """A QR code (error correction M, quiet zone of 4 modules) as PNG."""
    import segno

    out = io.BytesIO()
    segno.make(data, error="m", micro=False).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()
