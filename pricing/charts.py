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
from pricing.money import amount, ratio_words, times, usd
from pricing.queries import OfferRow, Reference, blended
from pricing.queries.model_page import PerfHistory

PERF_SOURCE_LABELS = {"openrouter": "OpenRouter", "huggingface": "Hugging Face router"}
LAYOUT = dict(
    template="none",
    margin=dict(l=60, r=20, t=40, b=50),
    hovermode="closest",
    showlegend=True,
    legend=dict(orientation="h", y=-0.22, yanchor="top"),
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
        xs, ys, sizes, labels = [], [], [], []
        for p in history:
            price = blended(p.input, p.output, mix)
            xs.append(_iso(p.valid_from))
            ys.append(_f(price))
            sizes.append(7)
            labels.append(amount(price))
        last = history[-1]
        xs.append(_iso(last.valid_to or now))
        ys.append(ys[-1] if last.valid_to is None else None)
        sizes.append(0)
        labels.append(labels[-1])
        # The hover reads the price as pages print it ("$0.0593", "$2.60"), a short string per
        # change point (prices are stored as change points, so a year is still few of them).
        traces.append(arrays(go.Scatter(
            mode="lines+markers", line_shape="hv", name=offer_label(row),
            hovertemplate=offer_label(row) + "<br>%{text} / M tokens blended<br>from %{x}<extra></extra>",
            connectgaps=False,
        ), x=xs, y=ys, text=labels, marker__size=sizes))
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
    """The ratio of each model to the last one (blended, and input/output for a pair) over time.

    A log axis, so 0.3x sits as far below the 1x line as 3.3x sits above it; the axis says what
    is divided by what, not "times dearer" (wrong for every point below the line)."""
    traces = []
    if len(labels) < 2 or not sweep:
        return figure([], title=dict(text="Ratio over time"))
    base = len(labels) - 1
    fields = ["blended", "input", "output"] if len(labels) == 2 else ["blended"]
    for i in range(base):
        for name in fields:
            xs, ys, words = [], [], []
            for at, refs in sweep:
                a, b = getattr(refs[i], name), getattr(refs[base], name)
                value = None if a is None or b is None or b == 0 or a == 0 else (a / b).quantize(Decimal("0.01"))
                y = _f(value)
                if (ys and ys[-1] == y) or (y is None and not ys):
                    continue
                xs.append(_iso(at))
                ys.append(y)
                words.append(ratio_words(value))
            if not xs:
                continue
            xs.append(_iso(now))
            ys.append(ys[-1])
            words.append(words[-1])
            label = f"{labels[i]} / {labels[base]} ({name})"
            traces.append(arrays(go.Scatter(mode="lines+markers", line_shape="hv", name=label,
                                            hovertemplate=label + "<br>%{text} since %{x}<extra></extra>"),
                                 x=xs, y=ys, text=words))
    return figure(traces, title=dict(text=f"Ratio over time (each price ÷ {labels[base]}'s)"), xaxis=dict(type="date"),
                  yaxis=dict(title=dict(text="ratio (log scale; 1x = same price)"), type="log",
                             ticksuffix="x", tickformat=".2~r"),
                  shapes=[dict(type="line", xref="paper", x0=0, x1=1, y0=1, y1=1,
                               line=dict(color="#98a2b3", dash="dash", width=1))])


def matrix_figure(labels: list[str], cells: list[list[Decimal | None]]) -> dict:
    z = [[_f(c) for c in row] for row in cells]
    text = [[times(c) for c in row] for row in cells]
    heat = go.Heatmap(z=z, x=labels, y=labels, text=text, texttemplate="%{text}", colorscale="Blues",
                      hovertemplate="%{y} / %{x}: %{text}<extra></extra>", showscale=False)
    return figure([heat], title=dict(text="Blended price ratio (row / column)"),
                  yaxis=dict(autorange="reversed", automargin=True), xaxis=dict(automargin=True, side="top"),
                  margin=dict(l=160, r=20, t=100, b=20))


# Ticks of a log price axis at 1-2-5 steps, labelled as pages print prices.
LOG_TICKS = [f"{m}e{e}" for e in range(-3, 3) for m in (1, 2, 5)]


def _is_first_party(model, row: OfferRow) -> bool:
    return row.provider_slug == (model.first_party.slug if model.first_party_id else model.author_part)


def market_figure(models: list, rows: dict[int, list[OfferRow]], mix: tuple[int, int]) -> dict:
    """The spread at a glance: one line per open model (most hosts at the top), each current
    host's blended price a point on a log axis (a 10x spread spans as much at $0.05 as at $5),
    the lab's own price a diamond, aggregators hollow. Hover: host, quantization, TTFT."""
    kinds = {"host": ([], [], []), "first-party": ([], [], []), "aggregator": ([], [], [])}
    for model in models:
        for row in rows.get(model.id, []):
            if not row.is_priced or row.price_kind != "fixed" or not row.blended:
                continue
            kind = "first-party" if _is_first_party(model, row) else (
                "aggregator" if row.provider_kind == "aggregator" else "host")
            xs, ys, text = kinds[kind]
            xs.append(_f(row.blended))
            ys.append(esc(model.name))
            ttft = f"{row.ttft_ms:,.0f} ms to first token (p50)" if row.ttft_ms is not None else "no TTFT measured"
            text.append(f"<b>{offer_label(row)}</b>{' (first party)' if kind == 'first-party' else ''}<br>"
                        f"{esc(usd(row.blended))} blended {mix[0]}:{mix[1]}<br>"
                        f"{esc(row.quantization or 'quantization not stated')} · {ttft}")
    styles = {
        "host": dict(symbol="circle", size=9, color="#2456d3", opacity=0.75),
        "first-party": dict(symbol="diamond", size=13, color="#d92d20", line=dict(color="#fff", width=1)),
        "aggregator": dict(symbol="circle-open", size=10, color="#667085"),
    }
    names = {"host": "a host", "first-party": "the lab's own price", "aggregator": "an aggregator"}
    traces = [
        arrays(go.Scatter(mode="markers", name=names[kind], marker=styles[kind], hovertemplate="%{text}<extra></extra>"),
               x=xs, y=ys, text=text)
        for kind, (xs, ys, text) in kinds.items() if xs
    ]
    order = [esc(m.name) for m in models]
    prices = [x for xs, _, _ in kinds.values() for x in xs]
    ticks = [float(t) for t in LOG_TICKS if prices and min(prices) / 3 <= float(t) <= max(prices) * 3]
    return figure(traces, title=dict(text=f"Every current host's price, blended {mix[0]}:{mix[1]}"),
                  xaxis=dict(type="log", title=dict(text="USD / M tokens (log scale)"), tickvals=ticks,
                             ticktext=[amount(Decimal(str(t))) for t in ticks]),
                  yaxis=dict(type="category", categoryorder="array", categoryarray=order[::-1], automargin=True),
                  height=max(320, 60 + 34 * len(models)), margin=dict(l=10, r=20, t=40, b=50))
