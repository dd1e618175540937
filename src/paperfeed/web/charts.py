"""Charts drawn on the server as inline SVG: a line chart, sparklines, a bar strip and a scatter map.

Why SVG from the server: no JavaScript library to vendor, charts that work without JavaScript,
and the page's own CSS colours them (``.series-N``, ``.cluster-N`` classes read CSS variables that
have light and dark values in ``app.css``). Hover values are SVG ``<title>`` elements (the
browser's tooltip), a click follows the point's link.

Layout: x positions (and the map's y) are percentages of the drawing's width, y positions of the
line charts are pixels of a fixed height. So a chart stretches to any screen width while its text
keeps its real size (a scaled ``viewBox`` would shrink the labels to nothing on a phone).

Every text that reaches the markup is escaped here; titles come in as plain text. Each chart has an
``aria-label`` that says what it shows in words, and the pages print the same numbers as a table
under a ``<details>`` for screen readers and for copying.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from markupsafe import Markup

SERIES_COLOURS = 8
"""Distinct series colours (``.series-0`` … ``.series-7`` in app.css)."""
CLUSTER_COLOURS = 12
"""Distinct map colours (``.cluster-0`` … ``.cluster-11``); more clusters share them."""


def _role(has_links: bool) -> str:
    """``img`` for a picture; ``group`` for one that holds links (mouse shortcuts, hidden from assistive
    technology: the page lists the same papers and periods as text). An ``img`` may hold no
    interactive element at all (axe-core: nested-interactive)."""
    return "group" if has_links else "img"


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _pct(value: float) -> str:
    return f"{value:.3f}%"


def nice_ceiling(value: float) -> float:
    """The smallest 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 × 10ⁿ at or above ``value`` (an axis maximum
    people can read, whose quarters are round too)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 1.2, 1.6, 2, 2.4, 3, 4, 5, 6, 8, 10):
        if step * power >= value - 1e-12:
            return float(step * power)
    return float(10 * power)


def format_value(value: float, percent: bool) -> str:
    if percent:
        return f"{value * 100:.2f}%" if value < 0.1 else f"{value * 100:.1f}%"
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


# ------------------------------------------------------------------------------ line chart
@dataclass(slots=True)
class LinePoint:
    value: float
    hover: str  # the tooltip: what the point is, in words
    href: str | None = None


@dataclass(slots=True)
class LineSeries:
    name: str
    points: list[LinePoint]


@dataclass(slots=True)
class LineChart:
    """Series over the same x labels (periods)."""

    label: str  # what the chart shows, for aria-label ("Papers per week, …")
    x_labels: list[str]
    series: list[LineSeries]
    percent: bool = False
    height: int = 260
    x_ticks: int = 8  # at most this many x labels are printed
    extra_aria: list[str] = field(default_factory=list)


def _x(index: int, count: int) -> float:
    """Percent of the width for point ``index`` of ``count`` (2 % margins for the end dots)."""
    if count <= 1:
        return 50.0
    return 2.0 + 96.0 * index / (count - 1)


def tick_indices(count: int, most: int) -> set[int]:
    """At most ``most`` evenly spaced indices of ``count`` labels, always the first and the last."""
    if count <= 0:
        return set()
    if count <= most:
        return set(range(count))
    step = (count - 1) / max(1, most - 1)
    return {round(k * step) for k in range(most)} | {0, count - 1}


def _series_summary(series: LineSeries, chart: LineChart) -> str:
    """ "diffusion: 257 in all, highest 66 in 2026-W04" (for the aria-label)."""
    if not series.points:
        return f"{series.name}: no data"
    best = max(range(len(series.points)), key=lambda i: series.points[i].value)
    top = format_value(series.points[best].value, chart.percent)
    if chart.percent:
        return f"{series.name}: highest {top} in {chart.x_labels[best]}"
    total = format_value(sum(p.value for p in series.points), False)
    return f"{series.name}: {total} in all, highest {top} in {chart.x_labels[best]}"


def line_chart(chart: LineChart, *, chart_id: str = "chart") -> Markup:
    """The chart as one ``<svg>``: gridlines with their values, a line and dots per series (each dot a
    link with a tooltip), x labels under the plot."""
    top, bottom = 14, 26
    plot = chart.height - top - bottom
    count = len(chart.x_labels)
    highest = max((p.value for s in chart.series for p in s.points), default=0.0)
    ceiling = nice_ceiling(highest) if highest > 0 else (0.01 if chart.percent else 1.0)

    def y(value: float) -> float:
        return top + plot * (1.0 - value / ceiling)

    summary = [chart.label] + [_series_summary(s, chart) for s in chart.series]
    aria = "; ".join(summary + chart.extra_aria)
    parts = [
        f'<svg class="chart line-chart" id="{_e(chart_id)}" width="100%" height="{chart.height}" '
        f'role="{_role(any(p.href for series in chart.series for p in series.points))}" '
        f'aria-label="{_e(aria)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for step in range(5):
        value = ceiling * step / 4
        at = y(value)
        parts.append(f'<line class="grid" x1="0" x2="100%" y1="{at:.1f}" y2="{at:.1f}"/>')
        parts.append(
            f'<text class="tick" x="0" y="{at - 3:.1f}">{_e(format_value(value, chart.percent))}</text>'
        )
    wide, narrow = tick_indices(count, chart.x_ticks), tick_indices(count, 3)
    for i in sorted(wide | narrow):
        anchor = "start" if i == 0 and count > 1 else "end" if i == count - 1 and count > 1 else "middle"
        css = "tick" if i in narrow else "tick wide"  # a phone shows only the narrow set (app.css)
        parts.append(
            f'<text class="{css}" x="{_pct(_x(i, count))}" y="{chart.height - 8}" '
            f'text-anchor="{anchor}">{_e(chart.x_labels[i])}</text>'
        )
    for s_index, series in enumerate(chart.series):
        css = f"series-{s_index % SERIES_COLOURS}"
        parts.append(f'<g class="series {css}" data-series="{_e(series.name)}">')
        for i in range(1, len(series.points)):
            a, b = series.points[i - 1], series.points[i]
            parts.append(
                f'<line class="stroke" x1="{_pct(_x(i - 1, count))}" y1="{y(a.value):.1f}" '
                f'x2="{_pct(_x(i, count))}" y2="{y(b.value):.1f}"/>'
            )
        for i, point in enumerate(series.points):
            dot = (
                f'<circle class="hit" cx="{_pct(_x(i, count))}" cy="{y(point.value):.1f}" r="9"/>'
                f'<circle class="dot" cx="{_pct(_x(i, count))}" cy="{y(point.value):.1f}" r="3.5"/>'
            )
            hover = f"<title>{_e(point.hover)}</title>"
            if point.href:
                parts.append(
                    f'<a class="point" href="{_e(point.href)}" tabindex="-1" aria-hidden="true">'
                    f"{hover}{dot}</a>"
                )
            else:
                parts.append(f'<g class="point">{hover}{dot}</g>')
        parts.append("</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


# ------------------------------------------------------------------------------ sparkline
def sparkline(
    values: Sequence[float],
    *,
    label: str,
    width: int = 96,
    height: int = 22,
    cumulative_label: str | None = None,
) -> Markup:
    """A small line without axes (``label`` says in words what it shows: its aria-label and tooltip)."""
    count = len(values)
    highest = max(values, default=0.0) or 1.0
    pad = 2.0

    def at(i: int, value: float) -> tuple[float, float]:
        x = pad + (width - 2 * pad) * (i / (count - 1) if count > 1 else 0.5)
        return x, pad + (height - 2 * pad) * (1.0 - value / highest)

    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (at(i, v) for i, v in enumerate(values)))
    title = cumulative_label or label
    last = at(count - 1, values[-1]) if count else (width / 2, height / 2)
    return Markup(
        f'<svg class="chart sparkline" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{_e(label)}" xmlns="http://www.w3.org/2000/svg"><title>{_e(title)}</title>'
        f'<polyline class="stroke" fill="none" points="{points}"/>'
        f'<circle class="dot" cx="{last[0]:.1f}" cy="{last[1]:.1f}" r="2"/></svg>'
    )


# ------------------------------------------------------------------------------ bar strip
@dataclass(slots=True)
class Bar:
    label: str  # under the bar ("18")
    value: float
    hover: str
    href: str | None = None
    current: bool = False


def bar_strip(bars: Sequence[Bar], *, label: str, height: int = 46) -> Markup:
    """Bars side by side across the width (papers per day), each a link with a tooltip; the current
    one highlighted."""
    count = len(bars)
    highest = max((b.value for b in bars), default=0.0) or 1.0
    plot = height - 14
    slot = 100.0 / max(1, count)
    parts = [
        f'<svg class="chart bar-strip" width="100%" height="{height}" role="{_role(any(b.href for b in bars))}" '
        f'aria-label="{_e(label)}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, bar in enumerate(bars):
        h = max(1.0, plot * bar.value / highest) if bar.value > 0 else 0.0
        css = "bar current" if bar.current else "bar"
        rect = (
            f'<rect class="hit" x="{_pct(i * slot)}" y="0" width="{_pct(slot)}" height="{height}"/>'
            f'<rect class="{css}" x="{_pct(i * slot + slot * 0.15)}" y="{plot - h:.1f}" '
            f'width="{_pct(slot * 0.7)}" height="{h:.1f}"/>'
            f'<text class="tick{" current" if bar.current else ""}" x="{_pct(i * slot + slot / 2)}" '
            f'y="{height - 2}" text-anchor="middle">{_e(bar.label)}</text>'
        )
        inner = f"<title>{_e(bar.hover)}</title>{rect}"
        if bar.href:
            parts.append(f'<a href="{_e(bar.href)}" tabindex="-1" aria-hidden="true">{inner}</a>')
        else:
            parts.append(f"<g>{inner}</g>")
    parts.append("</svg>")
    return Markup("".join(parts))


# ------------------------------------------------------------------------------ scatter map
@dataclass(slots=True)
class MapDot:
    x: float  # 0..1
    y: float  # 0..1
    colour: int  # the colour class index
    title: str  # plain text: the tooltip
    href: str
    paper_id: str
    marks: tuple[str, ...] = ()  # "saved", "followed"


@dataclass(slots=True)
class MapLabel:
    x: float
    y: float
    text: str
    colour: int


def scatter_map(dots: Sequence[MapDot], labels: Sequence[MapLabel], *, label: str) -> Markup:
    """Papers as dots at their map position (each a link to the paper with its title as tooltip),
    saved and followed ones ringed, cluster labels at their clusters' centres."""
    parts = [
        f'<svg class="chart paper-map" width="100%" role="{_role(bool(dots))}" aria-label="{_e(label)}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    margin = 3.0
    for dot in dots:
        cx = f"{margin + dot.x * (100 - 2 * margin):.2f}%"
        cy = f"{margin + dot.y * (100 - 2 * margin):.2f}%"
        rings = "".join(f'<circle class="ring {m}" cx="{cx}" cy="{cy}" r="7.5"/>' for m in dot.marks)
        marks = "".join(" " + m for m in dot.marks)
        parts.append(
            f'<a class="dot cluster-{dot.colour % CLUSTER_COLOURS}{marks}" href="{_e(dot.href)}" tabindex="-1" '
            'aria-hidden="true">'
            f'<title>{_e(dot.title)}</title>{rings}<circle class="fill" cx="{cx}" cy="{cy}" r="4.5"/></a>'
        )
    for item in labels:
        x, y = _pct(margin + item.x * (100 - 2 * margin)), _pct(margin + item.y * (100 - 2 * margin))
        anchor = "start" if item.x < 0.15 else "end" if item.x > 0.85 else "middle"  # stay inside
        parts.append(
            f'<text class="cluster-label cluster-{item.colour % CLUSTER_COLOURS}" x="{x}" y="{y}" '
            f'text-anchor="{anchor}">{_e(item.text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
