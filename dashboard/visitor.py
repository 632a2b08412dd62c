"""Visitor mode on the wall: which requests get pseudonyms, and the pseudonyms themselves.

A request is redacted when it carries the cookie of a screen with `redact: true` (whatever
the page asks: a visitor's browser cannot undo it), or when the page's wall element has the
`redact` class (`?redact=1`, or the desk's keyboard toggle, V). The mask is applied in the
callbacks, to the stored payload, before anything is rendered or sent.
"""

import logging
import threading

from flask import has_request_context, request

from socwall.dashboard.config import WallConfig
from socwall.dashboard.screens import COOKIE, screen_of_cookie
from socwall.dashboard.store import Store
from socwall.feeds.inventory import read_inventory
from socwall.visitor import Pseudonyms

log = logging.getLogger(__name__)
MAX_LEARNED = 100_000  # names learned from payloads; past it, start again from the inventories


def screen_redacts(config: WallConfig, screen: str | None) -> bool:
    """True when `screen` is a configured screen with redact on."""
    return screen is not None and screen in config.screens and config.screens[screen].redact


def cookie_redacts(config: WallConfig) -> bool:
    """The request carries a valid cookie of a redacting screen."""
    if not has_request_context():
        return False
    return screen_redacts(config, screen_of_cookie(config, request.cookies.get(COOKIE)))


def class_redacts(wall_class) -> bool:
    """The page asked for visitor mode (`?redact=1`, a redacting screen, the V key)."""
    return isinstance(wall_class, str) and "redact" in wall_class.split()


class VisitorMask:
    """One per app: the deployment's pseudonyms, made on first use (the key may come from the
    store), with the host names of every inventory file the panels name."""

    def __init__(self, config: WallConfig, store: Store):
        self.config, self.store = config, store
        self._pseudonyms: Pseudonyms | None = None
        self._lock = threading.Lock()

    def wanted(self, wall_class) -> bool:
        """Whether this request's answer must be masked."""
        return cookie_redacts(self.config) or class_redacts(wall_class)

    def pseudonyms(self) -> Pseudonyms:
        """The shared Pseudonyms; raises StoreUnavailable when the key must come from the store."""
        with self._lock:
            mask = self._pseudonyms
            if mask is None or len(mask.hosts) + len(mask.users) > MAX_LEARNED:
                mask = self._pseudonyms = self._fresh()
            return mask

    def _fresh(self) -> Pseudonyms:
        visitor = self.config.visitor
        secret = (visitor.secret.get_secret_value().encode() if visitor.secret
                  else self.store.visitor_secret())  # fmt: skip
        aliases, hosts = inventory_names(self.config)
        return Pseudonyms(secret, hosts=hosts, aliases=aliases, internal=visitor.internal)


def inventory_names(config: WallConfig) -> tuple[dict[str, str], set[str]]:
    """(address -> host name, every host name) from the inventories the panels read: CSV files
    and product lists with their hosts."""
    aliases, hosts = {}, set()
    for panel in config.panels():
        inventory = getattr(panel.options, "inventory", None)
        if isinstance(inventory, str):
            try:
                assets = read_inventory(inventory)
            except (OSError, ValueError) as error:  # its panel says so; mask what is known
                log.warning("visitor mode cannot read inventory %s: %s", inventory, error)
                continue
            aliases.update({ip: asset.name for ip, asset in assets.items()})
            hosts.update(asset.name for asset in assets.values())
        elif isinstance(inventory, list):
            hosts.update(host for item in inventory for host in getattr(item, "hosts", []))
    return aliases, hosts
