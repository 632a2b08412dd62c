"""The Dash app factory: pages from config.yaml, one MATCH callback that renders any panel."""

import logging
import zlib
from dataclasses import replace
from datetime import datetime
from importlib import resources
from urllib.parse import parse_qs

from dash import MATCH, ClientsideFunction, Dash, Input, Output, State, ctx, html, no_update
from flask import Response, jsonify

from socwall.dashboard import access, http_security, layout, screens
from socwall.dashboard.clock import Clock, utc_now
from socwall.dashboard.config import WallConfig
from socwall.dashboard.config_watch import config_version, config_warnings, layout_version
from socwall.dashboard.frame import STORE_DOWN, STORE_DOWN_EMPTY, frame_state
from socwall.dashboard.health import health_report, readiness
from socwall.dashboard.metrics import prometheus_text
from socwall.dashboard.pages import plain_page
from socwall.dashboard.store import Store, StoreUnavailable
from socwall.dashboard.visitor import VisitorMask, screen_redacts
from socwall.durations import humanize_age, parse_duration
from socwall.widgets import WIDGETS
from socwall.widgets.context import View
from socwall.widgets.entity import marked

log = logging.getLogger(__name__)
ASSETS = resources.files("socwall.assets")  # CSS and JS, in the checkout and in the wheel


def create_app(
    config: WallConfig, store: Store, clock: Clock, config_problem: str | None = None
) -> Dash:
    """A Dash app that only reads the store; nothing is computed per viewer.
    `config_problem` says why a newer config file was refused (`config` is the last good one)."""
    app = Dash(
        __name__,
        title=config.title,
        assets_folder=str(ASSETS),
        update_title=None,
        serve_locally=True,
    )
    rotate = config.web.rotate
    app.layout = layout.shell(
        config,
        poll_ms=int(config.web.poll.total_seconds() * 1000),
        rotate_ms=int(rotate.total_seconds() * 1000) if rotate else None,
        layout_version=layout_version(config),
    )
    mask = VisitorMask(config, store)
    _register_routing(app, config)
    _register_not_found(app, config)
    _register_panels(app, config, store, mask)
    _register_strip(app, config, store, clock, config_problem, mask)
    _register_night(app, config, clock)
    _register_healthz(app, config, store, config_problem)
    access.protect(app, config, store, config_problem)  # before the callback checks: 401 first
    web = config.web
    http_security.install(app, web.frame_ancestors, web.max_request_bytes,
                          [panel.id for panel in config.panels()])  # fmt: skip
    return app


def _register_routing(app: Dash, config: WallConfig) -> None:
    @app.callback(
        Output("page", "children"),
        Output("page-title", "children"),
        Output("page-nav", "children"),
        Output("wall", "className"),
        Output("rotate", "disabled"),
        Output("rotate", "interval"),
        Input("url", "pathname"),
        Input("url", "search"),
    )
    def show_page(pathname, search):
        query = parse_qs((search or "").lstrip("?"))
        route = screens.route(config, pathname)
        page, screen = route.page, route.screen is not None  # a screen is a kiosk, no nav
        kiosk = screen or config.web.kiosk or _flag(query, "kiosk")
        rotate = route.rotate_ms(config.web.rotate) if screen else _rotate_ms(query, config)
        keep = f"?{search.lstrip('?')}" if search else ""
        screen_name = pathname and screens.SCREEN_PATH.match(pathname)
        redact = (screen and screen_redacts(config, screen_name.group(1))) or _flag(query, "redact")
        return (
            layout.page_grid(page),
            page.title,
            [] if screen else layout.page_nav(config, page, keep),
            ("wall kiosk" if kiosk else "wall desk") + (" redact" if redact else "")
            + (" burn-in" if _burn_in(config, kiosk) else ""),
            rotate is None,
            rotate or 60_000,
        )

    @app.callback(
        Output("url", "pathname"),
        Input("rotate", "n_intervals"),
        State("url", "pathname"),
        prevent_initial_call=True,
    )
    def next_page(_, pathname):
        return screens.route(config, pathname).next_path()


def _register_not_found(app: Dash, config: WallConfig) -> None:
    """A path that is no page (a typo in a kiosk's URL) gets a 404 listing the pages, where
    Dash would serve the first page and the typo would go unnoticed for weeks."""
    endpoint = "/<path:path>"  # Dash's catch-all: the page shell for any path
    shell = app.server.view_functions[endpoint]

    def page_or_not_found(path: str):
        route = screens.route(config, f"/{path}")
        wanted = path.strip("/").removeprefix(route.prefix.strip("/")).strip("/")
        if wanted in {page.id for page in route.pages} or (route.screen and not wanted):
            return shell(path)
        links = [(page.title, f"{route.prefix}/{page.id}") for page in route.pages]
        return plain_page(404, "No such page", f"This wall has no page at /{path}. "
                          "Its pages are:", links=links)  # fmt: skip

    app.server.view_functions[endpoint] = page_or_not_found


def _burn_in(config: WallConfig, kiosk: bool) -> bool:
    """Burn-in care on this page: on kiosks and screens by default, never on a desk tab."""
    on = config.web.burn_in.on
    return on == "always" or (on == "kiosk" and kiosk)


def _flag(query: dict, name: str) -> bool:
    """`?kiosk=1`, `?redact=true`: a query flag that is on."""
    return query.get(name, ["0"])[0] in ("1", "true", "yes")


def _rotate_ms(query: dict, config: WallConfig) -> int | None:
    query_value = query.get("rotate", [None])[0]
    if query_value is not None:
        try:
            return int(parse_duration(query_value).total_seconds() * 1000)
        except ValueError:
            return None
    rotate = config.web.rotate
    return int(rotate.total_seconds() * 1000) if rotate and len(config.pages) > 1 else None


def _register_panels(app: Dash, config: WallConfig, store: Store, mask: VisitorMask) -> None:
    panels = {panel.id: panel for panel in config.panels()}
    last_meta: dict[str, dict] = {}  # per panel, the meta last read: ages count on in an outage
    app.clientside_callback(
        ClientsideFunction(namespace="socwall", function_name="viewport"),
        Output("viewport", "data"),
        Input("poll", "n_intervals"),
        State("viewport", "data"),
    )

    @app.callback(
        Output({"type": "panel", "id": MATCH}, "className"),
        Output({"type": "panel-age", "id": MATCH}, "children"),
        Output({"type": "panel-status", "id": MATCH}, "children"),
        Output({"type": "panel-verdict", "id": MATCH}, "children"),
        Output({"type": "panel-problem", "id": MATCH}, "children"),
        Output({"type": "panel-body", "id": MATCH}, "children"),
        Output({"type": "panel-version", "id": MATCH}, "data"),
        Input("poll", "n_intervals"),
        Input("viewport", "data"),
        State({"type": "panel-version", "id": MATCH}, "data"),
        State("wall", "className"),
    )
    def refresh_panel(_, viewport, shown_version, wall_class):
        panel = panels[ctx.outputs_list[0]["id"]["id"]]
        redact = mask.wanted(wall_class)  # visitor mode: nothing below leaves the server clear
        view = _view(config, viewport, wall_class, redact)
        try:
            meta = store.panel_meta(panel.id)
            last_meta[panel.id] = meta
            state = frame_state(meta, utc_now(), config.web.stale_after, config.tz)
            version = meta.get("version") if meta else None
            # what the body and the words under the title were drawn from: unchanged, not sent
            said = zlib.crc32(f"{state.verdict_text}|{state.problem}".encode())
            wanted = f"{version}@{view.scale}@{view.desk}@{said}@{redact}" if version else None
            data = store.panel_data(panel.id) if wanted and wanted != shown_version else None
            if redact:
                data, state = _masked(mask, data, state)
            frame = (state.css_class, state.age_text, state.status_text)
            words = (marked(state.verdict_text), state.problem)
            if wanted is None:
                return *frame, *words, no_update, no_update
            if wanted == shown_version:
                return *frame, no_update, no_update, no_update, no_update
        except StoreUnavailable:  # the age of what is shown goes on counting, from its last meta
            known = last_meta.get(panel.id)
            age = (frame_state(known, utc_now(), config.web.stale_after, config.tz).age_text
                   if known else no_update)  # fmt: skip
            if shown_version is None:  # this screen has nothing of it (a page rotated to)
                return ("panel waiting stale", "no data here yet", STORE_DOWN_EMPTY, no_update,
                        no_update, no_update, no_update)  # fmt: skip
            return (STORE_DOWN.css_class, age, STORE_DOWN.status_text, no_update, no_update,
                    no_update, no_update)  # fmt: skip
        if state.problem and state.age_text == "no data":  # nothing ever read: claim nothing
            return *frame, *words, html.Div(className="panel-empty"), wanted
        return *frame, *words, _render(panel, data, view), wanted

    @app.callback(
        Output("drawer-content", "children"),
        Output("drawer", "className"),
        Input("drawer-request", "data"),
        State("viewport", "data"),
        State("wall", "className"),
        prevent_initial_call=True,
    )
    def open_drawer(request, viewport, wall_class):
        """What a clicked row stands on, from the payload the job stored: read, never queried."""
        request = request if isinstance(request, dict) else {}  # client input: any JSON at all
        panel = panels.get(str(request.get("panel")))
        widget = WIDGETS[panel.widget] if panel else None
        row = request.get("row")
        if widget is None or not hasattr(widget, "drawer") or not isinstance(row, str):
            return no_update, "drawer"
        redact = mask.wanted(wall_class)
        try:
            data = store.panel_data(panel.id)
            if redact and data is not None:
                data = mask.pseudonyms().payload(data)
        except StoreUnavailable:
            return html.P("store unreachable: try again", className="drawer-empty"), "drawer open"
        if data is None:
            return html.P("no data yet", className="drawer-empty"), "drawer open"
        view = _view(config, viewport, "wall desk", redact)
        return widget.drawer(data, row[:200], panel.options, view), "drawer open"


def _masked(mask: VisitorMask, data: dict | None, state):
    """The payload and the frame's words with pseudonyms; the names in the payload are
    learned first, so the words under the title say `host-7f3a` like the rows do."""
    pseudonyms = mask.pseudonyms()
    data = pseudonyms.payload(data) if data is not None else None
    text = pseudonyms.text
    return data, replace(state, status_text=text(state.status_text),
                         verdict_text=text(state.verdict_text), problem=text(state.problem))


def _view(config: WallConfig, viewport: dict | None, wall_class: str | None,
          redact: bool = False) -> View:  # fmt: skip
    """The screen a panel is drawn for: its scale; links and the drawer at the desk only
    (no links for visitors: a pseudonym names nothing in the SIEM)."""
    # both come from the browser: any JSON at all
    desk = isinstance(wall_class, str) and "desk" in wall_class.split()  # until routed: kiosk
    scale = viewport.get("scale", 1.0) if isinstance(viewport, dict) else 1.0
    if not isinstance(scale, int | float) or not 0.25 <= scale <= 8:
        scale = 1.0
    return View(scale, config.links.templates() if desk and not redact else {}, desk)


def _render(panel, data: dict | None, view: View):
    if data is None:
        return html.Div("waiting for first data", className="panel-empty")
    try:
        return WIDGETS[panel.widget].render(data, panel.options, view)
    except Exception as error:  # a payload from an older version must not blank the wall
        log.exception("render of panel %s failed", panel.id)
        return html.Div(f"cannot show this payload: {error}", className="panel-empty")


def _register_strip(app: Dash, config: WallConfig, store: Store, clock: Clock,
                    config_problem: str | None, mask: VisitorMask) -> None:  # fmt: skip
    version, page_version = config_version(config), layout_version(config)
    app.clientside_callback(
        ClientsideFunction(namespace="socwall", function_name="reloadOnNewLayout"),
        Output("layout-version", "data"),
        Input("served-layout-version", "data"),
        State("layout-version", "data"),
    )

    @app.callback(
        Output("health-strip", "children"),
        Output("wall-clock", "children"),
        Output("replay-badge", "children"),
        Output("served-layout-version", "data"),
        Input("poll", "n_intervals"),
        State("wall", "className"),
    )
    def refresh_strip(_, wall_class):
        now = clock.now().astimezone(config.tz)
        clock_text = now.strftime("%a %d %b %H:%M")
        badge = "REPLAY" if clock.replaying else ""
        try:
            statuses = {s: store.source_status(s) for s in config.sources}
            notices = [store.store_notice()]  # e.g. no persistence: history lost on restart
            notices += config_warnings(version, config_problem, store.running_config())
        except StoreUnavailable:
            items = layout.health_items({}, {}, store_ok=False)
            return items, clock_text, badge, page_version
        if mask.wanted(wall_class):  # a source's error may name a host or an address
            try:
                statuses = {s: mask.pseudonyms().payload(st) for s, st in statuses.items()}
                notices = [mask.pseudonyms().text(n) if n else n for n in notices]
            except StoreUnavailable:  # the key is kept in the store: say nothing rather than names
                return layout.health_items({}, {}, store_ok=False), clock_text, badge, page_version
        ages = {s: _age(st.get("last_success")) for s, st in statuses.items() if st}
        items = layout.health_items(statuses, ages, store_ok=True)
        items[1:1] = [layout.warning_item(notice) for notice in notices if notice]
        return items, clock_text, badge, page_version


def _register_night(app: Dash, config: WallConfig, clock: Clock) -> None:
    """The night palette by the wall's clock (a replay's too), not by the viewer's."""
    night = config.web.night
    if night is None:
        return

    @app.callback(Output("night-mark", "className"), Input("poll", "n_intervals"))
    def night_mark(_):
        return "night-mark night" if night.covers(clock.now(), config.tz) else "night-mark"


def _age(iso: str | None) -> str:
    if not iso:
        return "never"
    return humanize_age((utc_now() - datetime.fromisoformat(iso)).total_seconds()) + " ago"


def _register_healthz(
    app: Dash, config: WallConfig, store: Store, config_problem: str | None
) -> None:
    @app.server.route("/healthz")
    def healthz():
        report, status = health_report(config, store, utc_now(), config_problem)
        return _no_store(jsonify(report), status)

    @app.server.route("/livez")
    def livez():  # the process answers: nothing else is checked, so it never flaps with Redis
        return _no_store(jsonify({"status": "alive"}), 200)

    @app.server.route("/readyz")
    def readyz():
        report, status = readiness(config, store, utc_now(), config_problem)
        return _no_store(jsonify(report), status)

    @app.server.route("/metrics")
    def metrics():
        text = prometheus_text(config, store, utc_now(), config_problem)
        return _no_store(Response(text, mimetype="text/plain; version=0.0.4"), 200)


def _no_store(response, status: int):
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
