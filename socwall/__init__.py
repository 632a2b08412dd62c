"""socwall, a SOC wall dashboard.

Three floors, imports only downward: the kernel in this package (types, durations, contracts,
keys, file_commit), socwall.feeds and socwall.widgets on it, socwall.dashboard (the wall) on top.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("socwall")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0+unknown"
