"""Wall screens: /screen/<name>?token=... shows only that screen's pages, rotating.

After the first request the token is traded for a cookie that names the screen and carries an
HMAC of its token (never the token itself), so a changed token revokes every screen at once.
"""

import hashlib
import hmac
import re
from dataclasses import dataclass

from socwall.dashboard.config import PageConfig, WallConfig
from socwall.dashboard.config_access import ScreenConfig

SCREEN_PATH = re.compile(r"^/screen/([A-Za-z0-9_-]{1,64})(?:/([A-Za-z0-9_-]{1,64}))?/?$")
COOKIE = "socwall_screen"


@dataclass(frozen=True)
class Route:
    """Where a pathname leads: the desk's pages, or one screen's pages under /screen/<name>."""

    pages: list[PageConfig]
    page: PageConfig
    prefix: str  # "" for the desk, "/screen/<name>" for a screen
    screen: ScreenConfig | None

    def next_path(self) -> str:
        """The path of the page after this one, wrapping around."""
        position = self.pages.index(self.page)
        return f"{self.prefix}/{self.pages[(position + 1) % len(self.pages)].id}"

    def rotate_ms(self, default_rotate) -> int | None:
        """A screen rotates at its own pace, else at web.rotate; one page never rotates."""
        rotate = (self.screen.rotate if self.screen else None) or default_rotate
        return int(rotate.total_seconds() * 1000) if rotate and len(self.pages) > 1 else None


def route(config: WallConfig, pathname: str | None) -> Route:
    """The route for a URL path; an unknown screen or page falls back to the first page."""
    path = pathname or "/"
    match = SCREEN_PATH.match(path)
    if match and match.group(1) in config.screens:
        screen = config.screens[match.group(1)]
        by_id = {page.id: page for page in config.pages}
        pages = [by_id[page_id] for page_id in screen.pages]
        chosen = next((p for p in pages if p.id == match.group(2)), pages[0])
        return Route(pages, chosen, f"/screen/{match.group(1)}", screen)
    chosen = next((p for p in config.pages if p.id == path.strip("/")), config.pages[0])
    return Route(config.pages, chosen, "", None)


def token_matches(screen: ScreenConfig, given: str) -> bool:
    """Constant-time comparison of a presented token with the configured one."""
    return hmac.compare_digest(given.encode(), screen.token.get_secret_value().encode())


def cookie_value(name: str, screen: ScreenConfig) -> str:
    """`<name>.<hmac>`: proves the token was presented, and dies when the token changes."""
    key = screen.token.get_secret_value().encode()
    digest = hmac.new(key, f"socwall screen {name}".encode(), hashlib.sha256).hexdigest()
    return f"{name}.{digest}"


def screen_of_cookie(config: WallConfig, value: str | None) -> str | None:
    """The screen a cookie opens, or None when it is absent, unknown or revoked."""
    name, _, _ = (value or "").partition(".")
    screen = config.screens.get(name)
    if screen is None:
        return None
    valid = hmac.compare_digest(value.encode(), cookie_value(name, screen).encode())
    return name if valid else None


def panel_ids(config: WallConfig, name: str) -> set[str]:
    """Every panel id on the screen's pages."""
    wanted = set(config.screens[name].pages)
    return {panel.id for page in config.pages if page.id in wanted for panel in page.panels}


def callback_allowed(config: WallConfig, name: str, call: dict, callbacks: dict) -> bool:
    """A callback a screen may run: only its own panels, only paths under its own URL.

    `call` passed callback_check already, so every item sits where its callback declared it:
    the path is checked on the value at each place the callback declared url.pathname, which
    is the value Dash hands the callback (by position), whatever the item's id says."""
    allowed, spec = panel_ids(config, name), callbacks[call["output"]]
    for group in ("inputs", "state"):
        for declared, item in zip(spec.get(group, []), call.get(group, []), strict=True):
            if (declared["id"], declared["property"]) != ("url", "pathname"):
                continue
            path = item.get("value")  # absent, it is None: the desk's first page
            if not isinstance(path, str) or route(config, path).prefix != f"/screen/{name}":
                return False
    items = [call["outputs"], *call.get("inputs", []), *call.get("state", [])]
    return all(_panel_of(item) in allowed for item in _flat(items) if _panel_of(item) is not None)


def _panel_of(item: dict) -> str | None:
    """The panel a pattern id (`{"type": ..., "id": <panel>}`) names; None for a plain id."""
    ident = item.get("id")
    return ident.get("id") if isinstance(ident, dict) else None


def _flat(items: list) -> list[dict]:
    """Dash sends one dict per id, lists of them for wildcard ids and several outputs."""
    flat = []
    for item in items:
        flat += _flat(item) if isinstance(item, list) else [item]
    return flat
