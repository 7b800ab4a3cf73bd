"""Server-side SVG bar charts: no front-end build, numbers also shown in a table beside them."""

from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape


@dataclass(frozen=True)
class Bar:
    label: str
    value: Decimal
    title: str


def bar_chart(bars: list[Bar], *, height: int = 160, bar_width: int = 18, gap: int = 6, caption: str = "") -> str:
    """An inline SVG of vertical bars scaled to the largest value (an empty series draws an axis)."""
    top = max((b.value for b in bars), default=Decimal(0))
    width = max(len(bars), 1) * (bar_width + gap) + gap
    plot = height - 20
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" height="{height}" '
             f'preserveAspectRatio="none" role="img" aria-label="{escape(caption)}">',
             f'<line x1="0" y1="{plot}" x2="{width}" y2="{plot}" class="axis"/>']
    for i, bar in enumerate(bars):
        h = 0 if top <= 0 else int(plot * float(bar.value / top))
        x = gap + i * (bar_width + gap)
        parts.append(f'<rect x="{x}" y="{plot - h}" width="{bar_width}" height="{h}" class="bar">'
                     f'<title>{escape(bar.title)}</title></rect>')
        if len(bars) <= 16 or i % 5 == 0:
            parts.append(f'<text x="{x + bar_width / 2}" y="{height - 5}" class="tick">{escape(bar.label)}</text>')
    parts.append("</svg>")
    return "".join(parts)
