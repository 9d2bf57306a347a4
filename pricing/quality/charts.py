"""Price against quality: each model's score on one benchmark against its blended price (log
axis), self-reported and third-party scores drawn apart, the "better and cheaper" frontier drawn.
Labels and hover text are escaped like every figure in ``pricing.charts``."""

from __future__ import annotations

import math
from decimal import Decimal

import plotly.graph_objects as go

from pricing.charts import esc, figure
from pricing.money import usd
from pricing.quality.models import Benchmark
from pricing.quality.queries import Point


def _num(value: Decimal) -> float:
    return float(f"{value:.6g}")


def _hover(bench: Benchmark, p: Point, mix: str) -> str:
    s = p.score
    per = f"<br>{p.per_dollar:,.2f} points per $ (blended / M tokens)" if p.per_dollar is not None else ""
    basis = f"{p.basis}{': ' + p.provider if p.provider else ''}"
    return (f"<b>{esc(p.name)}</b><br>{esc(bench.label)}: {esc(s.value.normalize())}"
            f"<br>{esc(usd(p.price))} blended {esc(mix)} ({esc(basis)}){per}"
            f"<br>{s.provenance} · run by {esc(s.evaluator)}"
            + (f", {s.evaluated_on:%Y-%m-%d}" if s.evaluated_on else "")
            + f"<br>{esc(s.citation)}")


def price_quality_figure(bench: Benchmark, items: list[Point], mix: str) -> dict:
    priced = [p for p in items if p.price is not None and p.price > 0]
    traces = []
    for self_reported, label, symbol in ((True, "self-reported", "circle"), (False, "third-party", "diamond")):
        group = [p for p in priced if p.score.self_reported == self_reported]
        if not group:
            continue
        traces.append(go.Scatter(
            x=[_num(p.price) for p in group], y=[_num(p.score.value) for p in group],
            mode="markers+text", name=f"{label} score", text=[esc(p.name) for p in group],
            textposition="top center", hovertext=[_hover(bench, p, mix) for p in group],
            hovertemplate="%{hovertext}<extra></extra>", marker=dict(size=11, symbol=symbol),
        ))
    edge = sorted((p for p in priced if p.on_frontier), key=lambda p: (p.price, p.score.value))
    if edge:
        traces.append(go.Scatter(
            x=[_num(p.price) for p in edge], y=[_num(p.score.value) for p in edge], mode="lines",
            line=dict(dash="dash", shape="hv", width=1.5), name="better and cheaper frontier", hoverinfo="skip",
        ))
    direction = "higher is better" if bench.higher_is_better else "lower is better"
    xaxis = dict(type="log", title=dict(text=f"blended price {esc(mix)}, USD / M tokens (log)"), tickprefix="$",
                 dtick=1)
    yaxis = dict(title=dict(text=f"score ({direction})"))
    if priced:
        # Room around the points for their labels; a log axis' range is in powers of ten.
        xs = [math.log10(p.price) for p in priced]
        xaxis["range"] = [min(xs) - 0.3, max(xs) + 0.3]
        ys = [float(p.score.value) for p in priced]
        pad = (max(ys) - min(ys)) * 0.15 or max(abs(ys[0]) * 0.05, 1)
        low, high = min(ys) - pad, max(ys) + pad
        yaxis["range"] = [low, high] if bench.higher_is_better else [high, low]
    return figure(traces, title=dict(text=f"{esc(bench.label)}: score against price"), xaxis=xaxis, yaxis=yaxis)
