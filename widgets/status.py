"""status: hosts and services as tiles, the down ones first with how long, "2 of 48 down"."""

from dataclasses import dataclass
from datetime import datetime

from pydantic import Field

from socwall.durations import duration_words
from socwall.feeds.inventory import Asset, by_name, read_inventory
from socwall.types import ConfigPath, Duration, Strict
from socwall.verdict import row_state
from socwall.widgets.components import html
from socwall.widgets.context import PanelContext, View
from socwall.widgets.entity import entity, marked

needs_source = True
source_types = ("probe",)


class StatusOptions(Strict):
    flap_window: Duration = Field("1h", description="up/down changes counted over this long")
    flaps: int = Field(3, ge=2, description="this many changes in flap_window is flapping")
    max_tiles: int = Field(48, ge=1, le=120, description="tiles shown; the rest are counted")
    columns: int | None = Field(None, ge=1, le=16, description="tiles per row; default: fit")
    inventory: ConfigPath | None = Field(None, description="CSV ip,name,criticality,...: HBI marks")


Options = StatusOptions


@dataclass(frozen=True)
class StatusInputs:
    state: dict[str, dict]
    assets: dict[str, Asset]


def check(options: StatusOptions, source) -> list[tuple[str, str]]:
    return []


def load(reader, panel, context: PanelContext) -> StatusInputs:
    state = reader.document(context.source_id, "status") or {}
    return StatusInputs(state, read_inventory(panel.options.inventory))


def compute(inputs: StatusInputs, options: StatusOptions, context: PanelContext) -> dict:
    """Tiles, down first (longest down first), then flapping, then up; HBI marked."""
    keyed = by_name(inputs.assets)
    since_flaps = (context.now - options.flap_window).isoformat()
    tiles = []
    for name, state in inputs.state.items():
        asset = keyed.get(str(state.get("host", name)).lower())
        flips = sum(f >= since_flaps for f in state.get("flips", []))
        minutes = (context.now - datetime.fromisoformat(state["since"])).total_seconds() / 60
        tiles.append({
            "name": name, "host": str(state.get("host", name)), "since": state["since"],
            "up": bool(state["up"]), "detail": state.get("detail", ""),
            "minutes": round(minutes), "flapping": flips >= options.flaps, "flips": flips,
            "hbi": bool(asset and asset.hbi), "checked_at": state.get("checked_at"),
        })  # fmt: skip
    tiles.sort(key=lambda t: (t["up"], not t["flapping"], -t["minutes"] if not t["up"] else 0,
                              not t["hbi"], t["name"]))  # fmt: skip
    down = sum(not t["up"] for t in tiles)
    return {
        "facts": [tile_fact(t, context) for t in tiles if not t["up"] or t["flapping"]],
        "tiles": tiles[: options.max_tiles],
        "total": len(tiles),
        "down": down,
        "flapping": sum(t["flapping"] for t in tiles),
        "hbi_down": sum(not t["up"] and t["hbi"] for t in tiles),
        "more": max(0, len(tiles) - options.max_tiles),
        "highlight": down > 0 or any(t["flapping"] for t in tiles),
    }


def tile_fact(tile: dict, context: PanelContext) -> dict:
    """Down: an alarm about that host and service since it went down (a change on it
    explains it: "in maintenance"); flapping: a notice."""
    service = tile["name"].removeprefix(tile["host"]).strip()
    flapping = tile["flapping"] and tile["up"]
    text = (f"{tile['name']} flapping: {tile['flips']} changes" if flapping
            else f"{tile['name']} down for {duration_words(tile['minutes'])}")  # fmt: skip
    return {"kind": "flapping" if flapping else "down",
            "severity": "notice" if flapping else "alarm", "row": tile["name"], "text": text,
            "hosts": [tile["host"]], "services": [service] if service else [],
            "start": tile["since"], "end": context.now.isoformat()}  # fmt: skip


def render(payload: dict, options: StatusOptions, view: View):
    """A grid of tiles and the denominator; down tiles say for how long."""
    tiles = payload["tiles"]
    if not tiles:
        return html.Div("no probe result yet: nothing has been checked", className="panel-empty")
    grid = {}  # by default the stylesheet fits as many columns of readable tiles as the width has
    if options.columns:
        grid = {"gridTemplateColumns": f"repeat({options.columns}, minmax(0, 1fr))"}
    judged = {t["name"]: row_state(payload, t["name"], _fallback(t)) for t in tiles}
    explained = sum(1 for state, _ in judged.values() if state == "explained")
    summary = f"{payload['down']} of {payload['total']} down"
    if payload["hbi_down"]:
        summary += f" · {payload['hbi_down']} HBI"
    if explained:
        summary += f" · {explained} in maintenance"
    if payload["flapping"]:
        summary += f" · {payload['flapping']} flapping"
    if payload["more"]:
        summary += f" · {payload['more']} more not shown"
    alarm = any(state == "alarm" for state, _ in judged.values())
    return html.Div(className="status", children=[
        html.Div(summary, className="status-summary" + (" alert" if alarm else "")),
        html.Div(className="status-tiles", style=grid,
                 children=[_tile(t, *judged[t["name"]], view) for t in tiles]),
    ])  # fmt: skip


def _fallback(tile: dict) -> str:
    return "alarm" if not tile["up"] else "notice" if tile["flapping"] else "calm"


def _tile(tile: dict, state: str, because: str | None, view: View) -> "html.Div":
    if tile["flapping"]:
        words = f"flapping: {tile['flips']} changes"
    elif tile["up"]:
        words = "up"
    else:
        words = "down for " + duration_words(tile["minutes"])
    classes = "tile " + ("up" if tile["up"] else "down")
    classes += (" flapping" if tile["flapping"] else "") + (" hbi" if tile["hbi"] else "")
    classes += {"explained": " explained", "notice": " notice"}.get(state, "")
    name = [entity(tile["name"], "host", view, "tile-name", host=tile["host"])]
    if tile["hbi"]:
        name.append(html.Span("HBI", className="tile-hbi"))
    lines = [html.Div(name, className="tile-head"), html.Div(words, className="tile-state")]
    if because:  # "in maintenance, CHG-1042, 36 min left"
        lines.append(html.Div(marked(because), className="tile-because"))
    return html.Div(className=classes, title=tile["detail"], children=lines)
