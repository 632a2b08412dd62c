"""socwall, a SOC wall dashboard: socwall.dashboard, socwall.widgets and socwall.feeds."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("socwall")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
