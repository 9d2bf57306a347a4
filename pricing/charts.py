"""Plotly figures built in Python and handed to the page as JSON (``json_script``).

Plotly renders a subset of HTML in trace names, titles and hover text, so every provider- or
model-supplied string is HTML-escaped before it goes into a figure. Numbers are floats only as
chart coordinates; every number a person reads (hover text) is formatted by ``pricing.money``.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import plotly.graph_objects as go

from pricing.models import PricePeriod
from pricing.money import usd
from pricing.queries import OfferRow, Reference, blended
from pricing.queries.model_page import PerfHistory

PERF_SOURCE_LABELS = {"openrouter": "OpenRouter", "huggingface": "Hugging Face router"}
LAYOUT = dict(
    template="none",
    margin=dict(l=60, r=20, t=40, b=50),
    hovermode="closest",
    showlegend=True,
    legend=dict(orientation="h", y=-0.2),
    font=dict(family="system-ui, sans-serif", size=12),
)


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def offer_label(row: OfferRow) -> str:
    variant = f" ({row.variant})" if row.variant else ""
    return esc(f"{row.provider_name}{variant}")


def perf_label(source: str, kind: str) -> str:
    if kind == "probe":
        return "our probe"
    return esc(PERF_SOURCE_LABELS.get(source, source))


def _f(value: Decimal | None) -> float | None:
    # A chart coordinate; six significant digits keep the JSON small.
    return None if value is None else float(f"{value:.6g}")


def _iso(value: date | datetime) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def figure(data: Iterable, **layout) -> dict:
    """Build with plotly.graph_objects (validated names, shapes, layout), then attach the long
    coordinate arrays to the JSON: validating 10,000 floats one by one costs more than the page."""
    traces = list(data)
    objects = [t[0] if isinstance(t, tuple) else t for t in traces]
    merged = {**LAYOUT, **layout}
    out = go.Figure(data=objects, layout=merged).to_plotly_json()
    for trace, item in zip(out["data"], traces, strict=True):
        if isinstance(item, tuple):
            for key, values in item[1].items():
                target = trace
                *path, last = key.split(".")
                for part in path:
                    target = target.setdefault(part, {})
                target[last] = values
    return out


def arrays(trace: go.Scatter, **columns) -> tuple[go.Scatter, dict]:
    """A trace and its coordinate columns (``marker__size`` for marker.size)."""
    return trace, {key.replace("__", "."): value for key, value in columns.items()}


def price_history_figure(rows: list[OfferRow], periods: dict[int, list[PricePeriod]], now: datetime,
                         mix: tuple[int, int]) -> dict:
    """One step line per offer (prices are piecewise constant), a marker at each change."""
    traces = []
    for row in rows:
        history = [p for p in periods.get(row.offer_id, []) if p.input is not None and p.output is not None]
        if not history:
            continue
        xs, ys, sizes = [], [], []
        for p in history:
            xs.append(_iso(p.valid_from))
            ys.append(_f(blended(p.input, p.output, mix)))
            sizes.append(7)
        last = history[-1]
        xs.append(_iso(last.valid_to or now))
        ys.append(ys[-1] if last.valid_to is None else None)
        sizes.append(0)
        # One hover template per trace, not a string per point: a year of daily changes stays small.
        # d3's "$,.4~f" prints $0.875, never an exponent.
        traces.append(arrays(go.Scatter(
            mode="lines+markers", line_shape="hv", name=offer_label(row),
            hovertemplate=offer_label(row) + "<br>%{y:$,.4~f} / M tokens blended<br>from %{x}<extra></extra>",
            connectgaps=False,
        ), x=xs, y=ys, marker__size=sizes))
    a, b = mix
    return figure(traces, title=dict(text=f"Blended price history ({a}:{b} input:output)"),
                  yaxis=dict(title=dict(text="USD / M tokens"), tickprefix="$", tickformat=",.4~f", rangemode="tozero"),
                  xaxis=dict(type="date"))


def scatter_figure(rows: list[OfferRow], metric: str) -> dict:
    """Blended price against time to first token or throughput, one trace per performance source."""
    groups: dict[str, list[OfferRow]] = {}
    for row in rows:
        value = row.ttft_ms if metric == "ttft" else row.tps
        if value is None or row.blended is None:
            continue
        groups.setdefault(perf_label(row.perf_source, row.perf_kind), []).append(row)
    traces = []
    for label, group in sorted(groups.items()):
        xs = [_f(r.ttft_ms if metric == "ttft" else r.tps) for r in group]
        text = [
            f"{offer_label(r)}<br>{esc(usd(r.blended))} blended<br>"
            + (f"{r.ttft_ms:,.0f} ms to first token" if metric == "ttft" else f"{r.tps:,.1f} tokens/s")
            + f"<br>measured by {label}"
            for r in group
        ]
        traces.append(go.Scatter(x=xs, y=[_f(r.blended) for r in group], mode="markers", name=label, text=text,
                                 hovertemplate="%{text}<extra></extra>", marker=dict(size=10)))
    xtitle = "time to first token, p50 (ms)" if metric == "ttft" else "throughput, p50 (tokens/s)"
    title = "Price against latency" if metric == "ttft" else "Price against throughput"
    return figure(traces, title=dict(text=title), xaxis=dict(title=dict(text=xtitle)),
                  yaxis=dict(title=dict(text="blended USD / M tokens"), tickprefix="$", tickformat=",.4~f"))


def latency_figure(rows: list[OfferRow], history: PerfHistory) -> dict:
    names = {r.offer_id: offer_label(r) for r in rows}
    series: dict[tuple, tuple[list, list]] = {}
    for p in history.points:
        if p.ttft_ms is None or p.offer_id not in names:
            continue
        xs, ys = series.setdefault((p.offer_id, p.source, p.kind), ([], []))
        xs.append(_iso(p.at))
        ys.append(_f(p.ttft_ms))
    traces = []
    for (offer_id, source, kind), (xs, ys) in series.items():
        label = f"{names[offer_id]} · {perf_label(source, kind)}"
        traces.append(arrays(go.Scatter(
            mode="lines+markers" if len(xs) < 40 else "lines", name=label,
            hovertemplate=label + "<br>%{y:,.0f} ms<br>%{x}<extra></extra>",
            line=dict(dash="dot" if kind == "probe" else "solid"),
        ), x=xs, y=ys))
    grain = "weekly median of daily roll-ups" if history.weekly else "daily roll-ups" if history.rollups else "raw samples"
    return figure(traces, title=dict(text=f"Time to first token, p50 ({grain})"),
                  yaxis=dict(title=dict(text="ms"), rangemode="tozero"), xaxis=dict(type="date"))


def ratio_history_figure(labels: list[str], sweep: list[tuple[datetime, list[Reference]]], now: datetime) -> dict:
    """The ratio of each model to the last one (blended, and input/output for a pair) over time."""
    traces = []
    if len(labels) < 2 or not sweep:
        return figure([], title=dict(text="Ratio over time"))
    base = len(labels) - 1
    fields = ["blended", "input", "output"] if len(labels) == 2 else ["blended"]
    for i in range(base):
        for name in fields:
            xs, ys = [], []
            for at, refs in sweep:
                a, b = getattr(refs[i], name), getattr(refs[base], name)
                value = None if a is None or b is None or b == 0 else a / b
                y = _f(value.quantize(Decimal("0.01")) if value is not None else None)
                if (ys and ys[-1] == y) or (y is None and not ys):
                    continue
                xs.append(_iso(at))
                ys.append(y)
            if not xs:
                continue
            xs.append(_iso(now))
            ys.append(ys[-1])
            label = f"{labels[i]} / {labels[base]} ({name})"
            traces.append(arrays(go.Scatter(mode="lines+markers", line_shape="hv", name=label,
                                            hovertemplate=label + "<br>%{y:.2f}x since %{x}<extra></extra>"),
                                 x=xs, y=ys))
    return figure(traces, title=dict(text="Ratio over time"), xaxis=dict(type="date"),
                  yaxis=dict(title=dict(text="times dearer"), ticksuffix="x", rangemode="tozero"))


def matrix_figure(labels: list[str], cells: list[list[Decimal | None]]) -> dict:
    z = [[_f(c) for c in row] for row in cells]
    text = [[("—" if c is None else f"{c}x") for c in row] for row in cells]
    heat = go.Heatmap(z=z, x=labels, y=labels, text=text, texttemplate="%{text}", colorscale="Blues",
                      hovertemplate="%{y} / %{x}: %{text}<extra></extra>", showscale=False)
    return figure([heat], title=dict(text="Blended price ratio (row / column)"),
                  yaxis=dict(autorange="reversed", automargin=True), xaxis=dict(automargin=True, side="top"),
                  margin=dict(l=160, r=20, t=100, b=20))
