"""What the job runner joins with a panel's facts: the wall's changes and the panel's inventory."""

import logging
from datetime import datetime

from socwall import verdict
from socwall.dashboard.config import PanelBase, WallConfig
from socwall.dashboard.store import Store
from socwall.feeds.inventory import read_inventory

log = logging.getLogger(__name__)


def panel_verdict(
    config: WallConfig, store: Store, panel: PanelBase, payload: dict, now: datetime
) -> dict:
    """The verdict of one computed payload: state, reasons in words, per-row states."""
    facts = verdict.legacy_facts(payload)
    if not facts:
        return {"state": "calm", "reasons": [], "rows": {}}
    judged = verdict.judge(facts, wall_changes(config, store), now, aliases(panel))
    return {key: judged[key] for key in ("state", "reasons", "rows")}  # the facts are stored


def wall_changes(config: WallConfig, store: Store) -> list[verdict.Change]:
    """Every change window the wall's `changes` sources have read."""
    documents = []
    for source_id, source in config.sources.items():
        if source.type == "changes":
            documents += store.document(source_id, "changes") or []
    return verdict.changes_from(documents)


def aliases(panel: PanelBase) -> dict[str, str]:
    """Address -> host name and name -> address from the panel's inventory, so a fact naming
    10.0.1.71 meets a change naming db-02."""
    path = getattr(panel.options, "inventory", None)
    if not isinstance(path, str):
        return {}
    try:
        assets = read_inventory(path)
    except (OSError, ValueError) as error:  # the widget says so on its panel; no join then
        log.warning("panel %s: inventory not read for the verdict: %s", panel.id, error)
        return {}
    names = {ip: asset.name for ip, asset in assets.items()}
    return {**names, **{name: ip for ip, name in names.items()}}
