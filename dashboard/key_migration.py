"""Moving a wall's history to Redis Cluster: its keys renamed once from `prefix:` to `{prefix}:`."""

import redis

from socwall.keys import Keys, hash_tagged


class WorkersRunning(Exception):
    """A worker holds the lead: renaming keys under it would split its writes in two."""


def tag_keys(client: redis.Redis, prefix: str) -> tuple[int, int]:
    """Rename every `prefix:*` key to `{prefix}:*`, value and TTL kept, on one plain server.

    Returns (renamed, left): `left` are keys whose tagged name exists already (never
    overwritten) or that expired meanwhile. Run with the workers stopped; running it again
    renames only what is still plain.
    """
    plain = Keys(prefix)
    if holder := client.get(plain.leader()):
        raise WorkersRunning(f"worker {holder} leads ({plain.leader()} is held): stop the workers")
    tagged, renamed, left = hash_tagged(prefix), 0, 0
    for key in list(client.scan_iter(match=f"{prefix}:*", count=1000)):
        try:
            moved = client.renamenx(key, tagged + key[len(prefix):])
        except redis.ResponseError:  # expired between SCAN and RENAMENX
            moved = False
        renamed, left = renamed + bool(moved), left + (not moved)
    return renamed, left
