"""Charts drawn on the server as SVG: no script, nothing fetched, readable without JavaScript (each
chart's numbers are also in a table beside it)."""
from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 640, 170, 48, 22, 10


def line_chart(points: Sequence[tuple[date, int | None]], label: str) -> Markup:
    """A line of `points` (days and values; a None is a day with no figure, skipped)."""
    known = [(index, value) for index, (_, value) in enumerate(points) if value is not None]
    if not known:
        return Markup(f'<p class="muted small">No {escape(label)} yet for this range.</p>')
    low = min(value for _, value in known)
    high = max(value for _, value in known)
    low = 0 if low >= 0 and (high - low) > high * 0.5 else low  # start at 0 unless the line would be flat
    span = (high - low) or 1
    inner_w, inner_h = WIDTH - PAD_LEFT - 8, HEIGHT - PAD_BOTTOM - PAD_TOP
    step = inner_w / max(1, len(points) - 1)

    def xy(index: int, value: int) -> str:
        return f"{PAD_LEFT + index * step:.1f},{PAD_TOP + inner_h - (value - low) / span * inner_h:.1f}"

    line = " ".join(xy(index, value) for index, value in known)
    first, last = points[0][0], points[-1][0]
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" preserveAspectRatio="none" '
        f'aria-label="{escape(label)} from {first:%-d %b} to {last:%-d %b}: from {known[0][1]:,} to {known[-1][1]:,}">'
        f'<line x1="{PAD_LEFT}" y1="{PAD_TOP + inner_h}" x2="{WIDTH - 8}" y2="{PAD_TOP + inner_h}" class="axis"/>'
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + 8}" class="tick" text-anchor="end">{high:,}</text>'
        f'<text x="{PAD_LEFT - 6}" y="{PAD_TOP + inner_h}" class="tick" text-anchor="end">{low:,}</text>'
        f'<text x="{PAD_LEFT}" y="{HEIGHT - 4}" class="tick">{first:%-d %b}</text>'
        f'<text x="{WIDTH - 8}" y="{HEIGHT - 4}" class="tick" text-anchor="end">{last:%-d %b}</text>'
        f'<polyline points="{line}" class="line"/></svg>')
