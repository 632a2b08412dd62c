"""Build the POST a browser sends when a screen polls one panel (shared by tests and bench)."""

import json

PANEL_PARTS = [
    ("panel", "className"),
    ("panel-age", "children"),
    ("panel-status", "children"),
    ("panel-verdict", "children"),
    ("panel-problem", "children"),
    ("panel-body", "children"),
    ("panel-version", "data"),
]


def panel_poll_body(
    panel_id: str, shown_version: str | None, scale: float = 1.0, tick: int = 1,
    wall_class: str = "wall kiosk",
) -> dict:
    """The JSON body of /_dash-update-component for the MATCH panel callback."""
    output = "...".join(
        f"{json.dumps({'id': ['MATCH'], 'type': t}, separators=(',', ':'))}.{prop}"
        for t, prop in PANEL_PARTS
    )
    return {
        "output": f"..{output}..",
        "outputs": [
            {"id": {"id": panel_id, "type": t}, "property": prop} for t, prop in PANEL_PARTS
        ],
        "inputs": [
            {"id": "poll", "property": "n_intervals", "value": tick},
            {"id": "viewport", "property": "data", "value": {"scale": scale}},
        ],
        "changedPropIds": ["poll.n_intervals"],
        "state": [
            {
                "id": {"id": panel_id, "type": "panel-version"},
                "property": "data",
                "value": shown_version,
            },
            {"id": "wall", "property": "className", "value": wall_class},
        ],
    }


def poll(client, panel_id: str, shown_version: str | None, scale: float = 1.0,
         wall_class: str = "wall kiosk"):  # fmt: skip
    """Poll one panel with a Flask test client; returns (response bytes, parsed outputs by type)."""
    body = panel_poll_body(panel_id, shown_version, scale, wall_class=wall_class)
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == 200, response.data[:300]
    parts = json.loads(response.data)["response"]
    return response.data, {json.loads(key)["type"]: value for key, value in parts.items()}


STRIP_PARTS = [
    ("health-strip", "children"),
    ("wall-clock", "children"),
    ("replay-badge", "children"),
    ("served-layout-version", "data"),
]


def strip_poll_body(tick: int = 1, wall_class: str = "wall desk") -> dict:
    """The JSON body of /_dash-update-component for the health strip callback."""
    return {
        "output": "..{}..".format("...".join(f"{c}.{p}" for c, p in STRIP_PARTS)),
        "outputs": [{"id": c, "property": p} for c, p in STRIP_PARTS],
        "inputs": [{"id": "poll", "property": "n_intervals", "value": tick}],
        "state": [{"id": "wall", "property": "className", "value": wall_class}],
        "changedPropIds": ["poll.n_intervals"],
    }


def strip_texts(response_json: dict) -> tuple[list[str], str]:
    """The strip's item texts and the served layout version, from a strip callback answer."""
    parts = response_json["response"]
    items = parts["health-strip"]["children"]
    return [item["props"]["children"] for item in items], parts["served-layout-version"]["data"]
