"""Charts for the Word reports, drawn with matplotlib (Agg figures, no display, no pyplot) as PNG bytes.

Chinese labels need a CJK font from the system (Debian's fonts-noto-cjk, see .ci/system-packages);
a Song-style (serif) face is preferred for the official look, a Hei-style one accepted. Without
any, the charts would print as empty boxes, so ``chart_font`` refuses with a clear message.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

# Preferred first: Song (serif) faces, then Hei (sans) ones.
CJK_FAMILIES = ("Noto Serif CJK SC", "Noto Serif CJK JP", "Source Han Serif SC", "AR PL UMing CN",
                "Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei")
DPI = 150
BAR_COLOUR, SECOND_COLOUR, LINE_COLOUR = "#1F4E78", "#C00000", "#C00000"


class NoCJKFont(RuntimeError):
    """No Chinese font is installed, so the charts cannot be drawn legibly."""


@lru_cache(maxsize=1)
def chart_font() -> str:
    """The family name matplotlib uses for Chinese text."""
    from matplotlib import font_manager

    available = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in available:
            return family
    # Fonts installed after matplotlib built its cache: look again once.
    font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)  # type: ignore[attr-defined]
    available = {f.name for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        if family in available:
            return family
    raise NoCJKFont("未找到中文字体，无法绘制统计图：请安装 fonts-noto-cjk（sudo apt-get install fonts-noto-cjk）")


def _figure(width: float, height: float) -> tuple[Any, Any]:
    # A bare Figure, not pyplot: no global figure registry, so documents can render in worker threads.
    import matplotlib
    from matplotlib.figure import Figure

    family = chart_font()
    if matplotlib.rcParams["font.family"] != [family]:
        matplotlib.rcParams["font.family"] = family
        matplotlib.rcParams["axes.unicode_minus"] = False
    fig = Figure(figsize=(width, height), dpi=DPI)
    ax = fig.subplots()
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], *, unit: str = "件",
              limit: int = 12) -> bytes:
    """Horizontal bars, largest on top; beyond ``limit`` labels the rest are summed as 其他."""
    pairs = list(zip(labels, values, strict=True))
    if len(pairs) > limit:
        pairs = pairs[:limit - 1] + [("其他", sum(v for _, v in pairs[limit - 1:]))]
    fig, ax = _figure(6.3, max(2.4, 0.38 * len(pairs) + 1.2))
    names = [p[0] for p in pairs][::-1]
    numbers = [p[1] for p in pairs][::-1]
    bars = ax.barh(names, numbers, color=BAR_COLOUR)
    ax.bar_label(bars, labels=[f"{v:g}" for v in numbers], padding=3, fontsize=9)
    ax.set_title(title, fontsize=13)
    ax.set_xlabel(unit)
    ax.margins(x=0.12)
    return _png(fig)


def paired_bar_chart(title: str, labels: Sequence[str], first: tuple[str, Sequence[int]],
                     second: tuple[str, Sequence[int]], *, limit: int = 12) -> bytes:
    """Two vertical bars per label (e.g. 登记 and 已办结 per department); beyond ``limit`` labels the
    rest are summed as 其他."""
    labels, a, b = list(labels), list(first[1]), list(second[1])
    if len(labels) > limit:
        cut = limit - 1
        labels, a, b = labels[:cut] + ["其他"], a[:cut] + [sum(a[cut:])], b[:cut] + [sum(b[cut:])]
    fig, ax = _figure(6.3, 3.4)
    xs = range(len(labels))
    width = 0.38
    bars_a = ax.bar([x - width / 2 for x in xs], a, width, label=first[0], color=BAR_COLOUR)
    bars_b = ax.bar([x + width / 2 for x in xs], b, width, label=second[0], color=SECOND_COLOUR)
    ax.bar_label(bars_a, fontsize=8, padding=2)
    ax.bar_label(bars_b, fontsize=8, padding=2)
    ax.set_xticks(list(xs), labels, rotation=30 if len(labels) > 5 else 0, ha="right" if len(labels) > 5 else "center",
                  fontsize=9)
    ax.set_ylabel("件")
    ax.set_title(title, fontsize=13)
    ax.legend(frameon=False, fontsize=9)
    ax.margins(y=0.15)
    return _png(fig)


def line_chart(title: str, labels: Sequence[str], values: Sequence[int], *, unit: str = "件") -> bytes:
    fig, ax = _figure(6.3, 3.0)
    ax.plot(list(labels), list(values), marker="o", color=LINE_COLOUR, linewidth=2)
    for x, y in zip(labels, values, strict=True):
        ax.annotate(f"{y}", (x, y), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=9)
    ax.set_title(title, fontsize=13)
    ax.set_ylabel(unit)
    ax.set_ylim(bottom=0, top=max([*values, 1]) * 1.25)
    return _png(fig)


def rate_chart(title: str, labels: Sequence[str], rates: Sequence[float | None]) -> bytes:
    """Percentages as vertical bars on a 0–100 % scale; an undefined rate is shown as 无数据."""
    fig, ax = _figure(6.3, 3.0)
    values = [r * 100 if r is not None else 0.0 for r in rates]
    bars = ax.bar(list(labels), values, color=BAR_COLOUR, width=0.5)
    ax.bar_label(bars, labels=[f"{r * 100:.1f}%" if r is not None else "无数据" for r in rates], padding=3,
                 fontsize=10)
    ax.set_ylim(0, 115)
    ax.set_ylabel("%")
    ax.set_title(title, fontsize=13)
    return _png(fig)
