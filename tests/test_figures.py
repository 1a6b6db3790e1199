"""Figures built once per data (dashboard/web/figures.py, issue 18): the same content gives the same
shared figure, any difference in content, language or function gives its own."""
import pandas as pd
import plotly.io as pio

from dashboard.web import charts, figures


def _daily(adds=(1, 2, 3)):
    return pd.DataFrame({"day": pd.date_range("2026-11-01", periods=len(adds)), "adds": list(adds),
                         "blocks": [0] * len(adds)})


def test_the_same_content_is_built_once_and_draws_what_a_fresh_build_draws():
    first = figures.figure(charts.adds_blocks, _daily(), "ja")
    again = figures.figure(charts.adds_blocks, _daily(), "ja")   # another frame, the same content
    assert again is first
    assert pio.to_json(first) == pio.to_json(charts.adds_blocks(_daily(), "ja"))


def test_any_difference_gives_its_own_figure():
    base = figures.figure(charts.adds_blocks, _daily(), "ja")
    assert figures.figure(charts.adds_blocks, _daily((1, 2, 4)), "ja") is not base      # one value
    assert figures.figure(charts.adds_blocks, _daily(), "en") is not base               # language
    renamed = _daily().rename(columns={"blocks": "blocks"}).astype({"adds": "float64"})
    assert figures.figure(charts.adds_blocks, renamed, "ja") is not base                # dtype
    shifted = _daily()
    shifted.index = [5, 6, 7]
    assert figures.figure(charts.adds_blocks, shifted, "ja") is not base                # index
    row = pd.Series({"visits": 10, "adds": 5, "reacted": 2, "converted": 1})
    assert figures.figure(charts.funnel, row, "ja") is not figures.figure(charts.funnel, row.replace(1, 0), "ja")
    assert figures.digest({"a": 1}, x=[1, 2]) != figures.digest({"a": 1}, x=[2, 1])


def test_arguments_of_unknown_kinds_are_never_cached(monkeypatch):
    built = []
    monkeypatch.setattr(figures, "MAX_FIGURES", 2)

    def fn(thing):
        built.append(thing)
        return object()

    assert figures.digest(object()) is None
    marker = object()
    assert figures.figure(fn, marker) is not figures.figure(fn, marker) and len(built) == 2
    for n in range(5):   # the cache keeps at most MAX_FIGURES
        figures.figure(fn, n)
    assert len(figures._figures) <= 2
