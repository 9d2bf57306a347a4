"""Figures built as plain dicts still go through Plotly's validation, and their page tags carry
the same JSON value, escaped the same way, as Django's json_script."""

import json
import re
from decimal import Decimal

import plotly.graph_objects as go
import pytest
from django.utils.html import json_script

from pricing.charts import arrays, figure, json_tag, scatter


def _value(tag: str):
    return json.loads(re.fullmatch(r'<script id="fig-x" type="application/json">(.*)</script>', tag, re.S).group(1))


def test_a_misspelt_trace_property_still_raises():
    with pytest.raises(ValueError):
        figure([scatter(mode="lines", nmae="x")])


def test_a_bad_layout_value_still_raises():
    with pytest.raises(ValueError):
        figure([scatter(mode="lines")], xaxis=dict(type="sideways"))


def test_dict_traces_read_as_graph_objects_would():
    traces = [arrays(scatter(mode="lines", line=dict(shape="hv"), name=f"<b>{n}</b>"), x=[1, 2], y=[3, None])
              for n in range(3)]
    built = figure(traces, title=dict(text="t"))
    expected = go.Figure(data=[go.Scatter(mode="lines", line_shape="hv", name=f"<b>{n}</b>", x=[1, 2], y=[3, None])
                               for n in range(3)], layout=dict(figure([])["layout"], title=dict(text="t")))
    assert built == expected.to_plotly_json()


def test_json_tag_matches_json_script():
    value = {"name": "</script><script>alert(1)</script> & é \u2028", "x": [1e-05, 0.1, None],
             "price": Decimal("0.50")}
    tag = json_tag(value, "fig-x")
    assert "<script>alert" not in tag and "</script><" not in tag
    assert _value(tag) == _value(str(json_script(value, "fig-x")))
