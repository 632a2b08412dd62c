"""The wall's one chart theme: dark, calm, colour-blind safe (Okabe-Ito palette)."""

from socwall.widgets.context import View

TODAY = "#56B4E9"  # sky blue: the thing you look at
WEEK_AGO = "#E69F00"  # orange, dotted: the comparison
BAND = "rgba(170, 180, 195, 0.22)"
ALERT = "#D55E00"  # vermillion: outside the normal band
CALM_TEXT = "#9aa4b2"
GRID = "rgba(255, 255, 255, 0.07)"
CHANGE = "rgba(230, 159, 0, 0.16)"  # a change / maintenance span on today's line
CHANGE_WEEK_AGO = "rgba(230, 159, 0, 0.06)"  # last week's span, drawn on the week-ago line


def figure_layout(view: View, **overrides) -> dict:
    """Plotly layout for a panel chart: transparent, no legend box, fonts scaled to the screen."""
    layout = {
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        # 16 px at 1920x1080: axis labels are read from across the room like any other text
        "font": {"color": CALM_TEXT, "size": view.px(16), "family": "Inter, system-ui, sans-serif"},
        "margin": {"l": view.px(56), "r": view.px(10), "t": view.px(6), "b": view.px(30)},
        "showlegend": False,
        "hovermode": "x unified",
        "xaxis": {"gridcolor": GRID, "zeroline": False, "fixedrange": True},
        "yaxis": {"gridcolor": GRID, "zeroline": False, "fixedrange": True, "rangemode": "tozero"},
        "autosize": True,
    }
    layout.update(overrides)
    return layout


def legend(view: View) -> dict:
    """A one-line legend above the plot's top-left corner: what each line style means."""
    return {"orientation": "h", "x": 0, "xanchor": "left", "y": 1.0, "yanchor": "bottom",
            "bgcolor": "rgba(0,0,0,0)", "font": {"size": view.px(16), "color": CALM_TEXT},
            "itemclick": False, "itemdoubleclick": False, "itemwidth": max(30, view.px(30)),
            "tracegroupgap": 0}  # fmt: skip


GRAPH_CONFIG = {"displayModeBar": False, "responsive": True, "staticPlot": False}
