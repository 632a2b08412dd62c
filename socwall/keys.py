"""Every key socwall writes to the store, under one prefix. Nothing else names a key.

On Redis Cluster the prefix is a hash tag, `{socwall}`: Redis hashes only the part in braces,
so every key lands in one slot and any transaction (a file commit watches the source's files
hash and the leader epoch, and writes the source's history) stays within one slot. That puts
all of one wall's data on one primary: it spreads nothing, it only makes the keys legal there.
"""

from dataclasses import dataclass
from datetime import date


def hash_tagged(prefix: str) -> str:
    """The prefix as a Redis Cluster hash tag: all keys under it hash to one slot."""
    return f"{{{prefix}}}"


@dataclass(frozen=True)
class Keys:
    prefix: str = "socwall"  # or hash_tagged("socwall") on Redis Cluster

    def panel(self, panel_id: str) -> str:
        """Hash: `meta` (status, times, version, error) and `data` (the widget's payload)."""
        return f"{self.prefix}:panel:{panel_id}"

    def counters(self) -> str:
        """Hash: Prometheus sample name with labels -> count since the store began (counters)."""
        return f"{self.prefix}:counters"

    def source_status(self, source_id: str) -> str:
        """String: JSON status of a source's last ingest."""
        return f"{self.prefix}:source:{source_id}:status"

    def source_files(self, source_id: str) -> str:
        """Hash: file state id -> JSON FileState (content fingerprint, offset, signature)."""
        return f"{self.prefix}:source:{source_id}:files"

    def source_file_failures(self, source_id: str) -> str:
        """String: JSON {"config": hash, "files": {path: [signature, reason]}}: files that
        failed, not read again until their signature or the source's config changes."""
        return f"{self.prefix}:source:{source_id}:file_failures"

    def source_coverage(self, source_id: str) -> str:
        """Sorted set: member 'oldest' scored with the earliest bucket ever read (epoch s)."""
        return f"{self.prefix}:source:{source_id}:coverage"

    def metric_day(self, source_id: str, metric: str, day: date) -> str:
        """Hash per UTC day: bucket start (epoch s) -> value; expires after the retention."""
        return f"{self.prefix}:metric:{source_id}:{metric}:{day:%Y%m%d}"

    def flow_bucket(self, source_id: str, bucket_start: int) -> str:
        """List of JSON blobs (columns host, peer, bytes, connections) of one time bucket."""
        return f"{self.prefix}:flows:{source_id}:{bucket_start}"

    def flow_hour(self, source_id: str, hour_start: int) -> str:
        """Hash: an hour's flow buckets summed, per host (`hosts`) and per peer of each host
        (`pairs:<host>`), JSON columns; `blobs`, how many bucket blobs it sums (read only while
        the buckets hold as many); `format` (dashboard/flow_rollups.py)."""
        return f"{self.prefix}:flows-hour:{source_id}:{hour_start}"

    def document(self, source_id: str, name: str) -> str:
        """String: a JSON document a source keeps whole (e.g. the KEV catalog)."""
        return f"{self.prefix}:source:{source_id}:doc:{name}"

    def fetch_state(self, source_id: str, target: str) -> str:
        """Hash: ETag, Last-Modified, failures and next attempt of one fetched location."""
        return f"{self.prefix}:source:{source_id}:fetch:{target}"

    def entries(self, source_id: str) -> str:
        """Hash: entry key -> JSON of one feed entry (plain text), stored once."""
        return f"{self.prefix}:source:{source_id}:entries"

    def entry_times(self, source_id: str) -> str:
        """Sorted set: entry key scored by published time (epoch s): windows and retention."""
        return f"{self.prefix}:source:{source_id}:entry-times"

    def distinct_bucket(self, source_id: str, metric: str, bucket_start: int) -> str:
        """Set: the distinct members (e.g. source IPs) of one bucket of a distinct-count metric."""
        return f"{self.prefix}:distinct:{source_id}:{metric}:{bucket_start}"

    def distinct_windows(self, source_id: str, metric: str, day) -> str:
        """Hash: 'start:end' of a window starting on this UTC day -> 'sizes|count', the sizes
        of its buckets' sets and the distinct count of their union when they had them."""
        return f"{self.prefix}:distinct-windows:{source_id}:{metric}:{day:%Y%m%d}"

    def distinct_scratch(self, token: str) -> str:
        """Set, deleted at once: the union of a window's distinct sets, counted by SUNIONSTORE."""
        return f"{self.prefix}:distinct-union:{token}"

    def auth_events(self, source_id: str, day) -> str:
        """List of compact JSON auth events of one UTC day (for windows of per-user behaviour)."""
        return f"{self.prefix}:authevents:{source_id}:{day:%Y%m%d}"

    def auth_hours(self, source_id: str, day) -> str:
        """Hash beside a day's auth events: UTC hour start -> that hour's summary, and `_made`
        (the summaries' format and how many events of the day they were made from)."""
        return f"{self.prefix}:authhours:{source_id}:{day:%Y%m%d}"

    def records(self, source_id: str, kind: str, day) -> str:
        """List of compact JSON records of one kind and UTC day (the generic record API)."""
        return f"{self.prefix}:records:{source_id}:{kind}:{day:%Y%m%d}"

    def keyed_records(self, source_id: str, kind: str, day) -> str:
        """Hash: record id -> compact JSON, of one kind and UTC day (records stored once by id)."""
        return f"{self.prefix}:records:{source_id}:{kind}:{day:%Y%m%d}:by-id"

    def store_notice(self) -> str:
        """String: the worker's warning about the store itself (e.g. no persistence), or absent."""
        return f"{self.prefix}:store:notice"

    def store_marker(self) -> str:
        """String: when a worker first found this wall's keys empty; it goes only when Redis
        loses its data (a restart without persistence, a flush): the workers notice."""
        return f"{self.prefix}:store:marker"

    def history_lost(self) -> str:
        """String with TTL: the warning that Redis lost the history, kept until the bands'
        five weeks of history are back."""
        return f"{self.prefix}:store:history-lost"

    def sign_in_failures(self, pair_id: str) -> str:
        """Sorted set with TTL: wrong-password times (epoch s) of one (address, user) digest."""
        return f"{self.prefix}:signin-failures:{pair_id}"

    def guess_bucket(self, bucket_id: str) -> str:
        """String with TTL: when one client address's bucket of guesses is full again (epoch s)."""
        return f"{self.prefix}:guesses:{bucket_id}"

    def leader(self) -> str:
        """String with TTL: the id of the worker that runs the jobs now."""
        return f"{self.prefix}:leader"

    def leader_epoch(self) -> str:
        """Counter: incremented by every worker that takes the lead; fences commits."""
        return f"{self.prefix}:leader:epoch"

    def worker(self, worker_id: str) -> str:
        """String with TTL: a worker's heartbeat (JSON: pid, host, started, leader)."""
        return f"{self.prefix}:worker:{worker_id}"

    def running_config(self) -> str:
        """String with TTL: JSON of the leading worker's config (version, refused reload)."""
        return f"{self.prefix}:config:worker"

    def visitor_secret(self) -> str:
        """String: the random key of visitor-mode pseudonyms when visitor.secret is not set."""
        return f"{self.prefix}:visitor:secret"

    def workers(self) -> str:
        """Set: ids of workers that sent a heartbeat; a member whose `worker` key expired is gone
        (a set, not SCAN: SCAN sees one node of a cluster and walks the whole keyspace)."""
        return f"{self.prefix}:workers"
