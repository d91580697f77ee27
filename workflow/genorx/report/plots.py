"""Inline SVG plots: a reference density with the patient's position, and cohort histograms.

Plain SVG strings (no scripts, no external resources), every label escaped.
"""

from __future__ import annotations

from html import escape

import numpy as np

WIDTH, HEIGHT = 520, 150
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 12, 12, 18, 28


def cap_density(
    xs: tuple[float, ...] | list[float], ys: tuple[float, ...] | list[float], max_points: int
) -> tuple[list[float], list[float]]:
    """At most ``max_points`` points (linear resampling on an even grid), 6 significant digits."""
    x = np.asarray(xs, dtype=float)
    y = np.asarray(ys, dtype=float)
    if x.size == 0:
        return [], []
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    if x.size > max_points:
        grid = np.linspace(x[0], x[-1], max_points)
        y = np.interp(grid, x, y)
        x = grid
    return [float(f"{v:.6g}") for v in x], [float(f"{max(v, 0.0):.6g}") for v in y]


def normal_density(mean: float, sd: float, points: int = 81) -> tuple[list[float], list[float]]:
    """A normal curve (used when a panel gives mean and SD but no density)."""
    x = np.linspace(mean - 4 * sd, mean + 4 * sd, points)
    y = np.exp(-0.5 * ((x - mean) / sd) ** 2) / (sd * np.sqrt(2 * np.pi))
    return [float(f"{v:.6g}") for v in x], [float(f"{v:.6g}") for v in y]


def _fmt(v: float) -> str:
    return f"{v:.1f}".rstrip("0").rstrip(".")


def density_svg(
    xs: list[float], ys: list[float], patient_x: float | None, percentile: float | None, caption: str
) -> str:
    """Filled reference density, shaded below the patient's value, with a marker line."""
    if len(xs) < 2 or max(ys, default=0) <= 0:
        return ""
    lo, hi = min(xs), max(xs)
    if patient_x is not None:
        lo, hi = min(lo, patient_x), max(hi, patient_x)
    span = (hi - lo) or 1.0
    top = max(ys)
    pw, ph = WIDTH - MARGIN_L - MARGIN_R, HEIGHT - MARGIN_T - MARGIN_B

    def px(v: float) -> float:
        return MARGIN_L + (v - lo) / span * pw

    def py(v: float) -> float:
        return MARGIN_T + ph - v / top * ph

    base = MARGIN_T + ph
    pts = " ".join(f"{_fmt(px(x))},{_fmt(py(y))}" for x, y in zip(xs, ys, strict=True))
    area = f"M{_fmt(px(xs[0]))},{_fmt(base)} L{pts} L{_fmt(px(xs[-1]))},{_fmt(base)} Z"
    parts = [
        f'<svg class="density" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(caption)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(caption)}</title>",
        f'<path class="ref" d="{area}"/>',
    ]
    if patient_x is not None:
        below = [(x, y) for x, y in zip(xs, ys, strict=True) if x <= patient_x]
        if below:
            y_at = float(np.interp(patient_x, xs, ys))
            seg = " ".join(f"{_fmt(px(x))},{_fmt(py(y))}" for x, y in below)
            shade = (
                f"M{_fmt(px(below[0][0]))},{_fmt(base)} L{seg} L{_fmt(px(patient_x))},{_fmt(py(y_at))} "
                f"L{_fmt(px(patient_x))},{_fmt(base)} Z"
            )
            parts.append(f'<path class="below" d="{shade}"/>')
        mx = _fmt(px(patient_x))
        parts.append(f'<line class="marker" x1="{mx}" x2="{mx}" y1="{MARGIN_T - 6}" y2="{_fmt(base)}"/>')
        label = "patient" + (f": percentile {percentile:.1f}" if percentile is not None else "")
        anchor = "end" if px(patient_x) > WIDTH * 0.6 else "start"
        dx = -4 if anchor == "end" else 4
        parts.append(
            f'<text class="label" x="{_fmt(px(patient_x) + dx)}" y="{MARGIN_T}" text-anchor="{anchor}">'
            f"{escape(label)}</text>"
        )
    parts.append(
        f'<line class="axis" x1="{MARGIN_L}" x2="{WIDTH - MARGIN_R}" y1="{_fmt(base)}" y2="{_fmt(base)}"/>'
    )
    for v, anchor in ((lo, "start"), ((lo + hi) / 2, "middle"), (hi, "end")):
        parts.append(
            f'<text class="tick" x="{_fmt(px(v))}" y="{HEIGHT - 8}" text-anchor="{anchor}">'
            f"{escape(f'{v:.3g}')}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def histogram_svg(
    values: list[float], caption: str, lo: float = 0.0, hi: float = 100.0, bins: int = 20
) -> str:
    """A bar histogram of cohort values (e.g. percentiles) on [lo, hi]."""
    vals = np.asarray([v for v in values if v is not None], dtype=float)
    if vals.size == 0:
        return ""
    counts, edges = np.histogram(np.clip(vals, lo, hi), bins=bins, range=(lo, hi))
    top = max(int(counts.max()), 1)
    pw, ph = WIDTH - MARGIN_L - MARGIN_R, HEIGHT - MARGIN_T - MARGIN_B
    bw = pw / bins
    parts = [
        f'<svg class="hist" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'role="img" aria-label="{escape(caption)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(caption)}</title>",
    ]
    for i, c in enumerate(counts):
        h = c / top * ph
        parts.append(
            f'<rect class="bar" x="{_fmt(MARGIN_L + i * bw + 1)}" y="{_fmt(MARGIN_T + ph - h)}" '
            f'width="{_fmt(bw - 2)}" height="{_fmt(h)}">'
            f"<title>{escape(f'{edges[i]:g}-{edges[i + 1]:g}: {c}')}"
            "</title></rect>"
        )
    base = MARGIN_T + ph
    parts.append(
        f'<line class="axis" x1="{MARGIN_L}" x2="{WIDTH - MARGIN_R}" y1="{_fmt(base)}" y2="{_fmt(base)}"/>'
    )
    for v, anchor in ((lo, "start"), ((lo + hi) / 2, "middle"), (hi, "end")):
        x = MARGIN_L + (v - lo) / (hi - lo) * pw
        parts.append(f'<text class="tick" x="{_fmt(x)}" y="{HEIGHT - 8}" text-anchor="{anchor}">{v:g}</text>')
    parts.append(
        f'<text class="tick" x="{WIDTH - MARGIN_R}" y="{MARGIN_T - 4}" text-anchor="end">max {top}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
