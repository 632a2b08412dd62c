"""Components of the wall: the shell, a page's grid of panel frames, and the health strip."""

from dash import dcc, html

from socwall.dashboard.config import PageConfig, PanelBase, WallConfig


def shell(
    config: WallConfig, poll_ms: int, rotate_ms: int | None, layout_version: str = ""
) -> html.Div:
    """Everything that stays while pages change: URL, timers, banner, top bar, strip.
    `layout-version` keeps the version the page was built from; the strip callback sends the
    server's into `served-layout-version`, and the page reloads itself when they differ."""
    reload_every, burn_in = config.web.reload_every, config.web.burn_in
    return html.Div(
        id="wall",
        className="wall",
        # read by wall.js: a full reload after this long, only right after the server answered
        **{"data-reload-after-ms": int(reload_every.total_seconds() * 1000) if reload_every else 0},
        # burn-in care (class burn-in, set with the page): the margin the wall moves in, and
        # how often burn_in.js moves it and its chrome
        style={"--shift-max": f"{burn_in.shift}px"},
        **{"data-shift-px": burn_in.shift,
           "data-shift-ms": int(burn_in.every.total_seconds() * 1000),
           "data-chrome-ms": int(burn_in.chrome_every.total_seconds() * 1000)},  # fmt: skip
        children=[
            # its class says "night" while web.night covers the wall's clock (burn_in.css)
            html.Div(id="night-mark", className="night-mark"),
            dcc.Location(id="url", refresh="callback-nav"),
            dcc.Interval(id="poll", interval=poll_ms),
            dcc.Interval(id="rotate", interval=rotate_ms or 60_000, disabled=rotate_ms is None),
            dcc.Store(id="viewport"),
            dcc.Store(id="layout-version", data=layout_version),
            dcc.Store(id="served-layout-version"),
            html.Div(
                "Server unreachable: the wall shows the last data it had and reconnects by itself.",
                id="offline-banner",
                className="offline-banner",
                role="alert",
            ),
            html.Header(
                className="topbar",
                children=[
                    html.H1(config.title, className="wall-title"),
                    html.Span(id="page-title", className="page-title"),
                    html.Nav(id="page-nav", className="page-nav"),
                    html.Span(id="replay-badge", className="replay-badge"),
                    html.Span(id="wall-clock", className="wall-clock"),
                    *_sign_out_link(config),
                ],
            ),
            html.Main(id="page", className="page"),
            html.Footer(id="health-strip", className="health-strip"),
            *drawer(),
        ],
    )


def drawer() -> list:
    """The desk's side drawer: what a clicked row stands on (a host's outside peers, a user's
    sources), as the job computed it. wall.js opens it (click, Enter, Space) and closes it
    (Escape, the button); it overlays the page, which never scrolls."""
    return [
        dcc.Store(id="drawer-request"),
        html.Aside(id="drawer", className="drawer", role="dialog", **{"aria-label": "details"},
                   children=[
            html.Button("×", id="drawer-close", className="drawer-close",
                        **{"aria-label": "close the details"}),
            html.Div(id="drawer-content", className="drawer-content"),
        ]),  # fmt: skip
    ]


def _sign_out_link(config: WallConfig) -> list:
    """Desk viewers signed in with OIDC can sign out; kiosks hide it (wall.css)."""
    if config.access.auth != "oidc":
        return []
    return [html.A("Sign out", href="/oidc/logout", className="sign-out", id="sign-out")]


def page_grid(page: PageConfig) -> html.Div:
    """The page's CSS grid with one frame per panel, each at its configured cell and span."""
    style = {
        "gridTemplateColumns": f"repeat({page.grid.columns}, minmax(0, 1fr))",
        "gridTemplateRows": f"repeat({page.grid.rows}, minmax(0, 1fr))",
    }
    return html.Div(className="grid", style=style, children=[panel_frame(p) for p in page.panels])


def panel_frame(panel: PanelBase) -> html.Section:
    """The shared frame; the panel callback fills its body, age and status by panel id."""
    (col, row), (cols, rows) = panel.at, panel.span
    return html.Section(
        id={"type": "panel", "id": panel.id},
        className="panel waiting",
        style={"gridColumn": f"{col} / span {cols}", "gridRow": f"{row} / span {rows}"},
        children=[
            html.Header(
                className="panel-head",
                children=[
                    html.H2(panel.title, className="panel-title"),
                    html.Span(id={"type": "panel-age", "id": panel.id}, className="panel-age"),
                ],
            ),
            # explained or noticed: why, in words ("explained by CHG-1042"), under the title
            html.Div(id={"type": "panel-verdict", "id": panel.id}, className="panel-verdict"),
            # a failed or blind source, in words, large, before anything else in the body
            html.Div(id={"type": "panel-problem", "id": panel.id}, className="panel-problem",
                     role="status"),
            html.Div(id={"type": "panel-body", "id": panel.id}, className="panel-body"),
            html.Div(id={"type": "panel-status", "id": panel.id}, className="panel-status"),
            dcc.Store(id={"type": "panel-version", "id": panel.id}),
        ],
    )


def page_nav(config: WallConfig, current: PageConfig, query: str) -> list:
    """Links to every page, the current one marked; the query (kiosk, rotate) is kept."""
    return [
        dcc.Link(
            page.title,
            href=f"/{page.id}{query}",
            className="nav-link current" if page.id == current.id else "nav-link",
        )
        for page in config.pages
    ]


def warning_item(text: str) -> html.Span:
    """A warning on the health strip, e.g. a refused config reload."""
    return html.Span(text, className="health-item warn", title=text)


def health_items(sources: dict[str, dict | None], ages: dict[str, str], store_ok: bool) -> list:
    """One small item per source: a status dot, its name and age; the store first."""
    items = [
        html.Span(
            "store ok" if store_ok else "STORE UNREACHABLE",
            className="health-item " + ("ok" if store_ok else "error"),
        )
    ]
    for source_id, status in sources.items():
        state = (status or {}).get("status", "waiting")
        text = f"{source_id} · {ages.get(source_id, 'never')}"
        if state == "error":
            text += f" · {status.get('error')}"
        items.append(html.Span(text, className=f"health-item {state}", title=text))
    return items
