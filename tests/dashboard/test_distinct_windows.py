"""Distinct counts of windows kept with the sizes of their sets: a count is reused only while
no set of its window changed, so it always equals the union counted afresh."""

from datetime import UTC, datetime, timedelta

T = 1_767_225_600  # 2026-01-01T00:00:00Z
HOUR = 3600
WINDOWS = [(T + h * HOUR, T + (h + 1) * HOUR) for h in range(6)] + [(T, T + 6 * HOUR)]


def fill(store) -> None:
    pipe = store.redis.pipeline()
    for b in range(T, T + 6 * HOUR, 300):
        members = {f"198.51.100.{(b // 300 * 7 + k) % 200}" for k in range(20)}
        pipe.sadd(store.keys.distinct_bucket("ssh", "ips", b), *members)
    pipe.execute()


def afresh(store) -> list[int]:
    """Each window's union counted by Redis from its sets, nothing kept."""
    return [len(store.redis.sunion([store.keys.distinct_bucket("ssh", "ips", b)
                                    for b in range(start, end, 300)]))
            for start, end in WINDOWS]  # fmt: skip


def test_kept_counts_follow_every_change_of_their_sets(store):
    fill(store)
    first = store.distinct_counts("ssh", "ips", WINDOWS, 300)
    assert first == afresh(store) and len(set(first)) > 1
    kept = store.redis.hgetall(store.keys.distinct_windows("ssh", "ips", datetime(2026, 1, 1)))
    assert len(kept) == len(WINDOWS)
    assert store.distinct_counts("ssh", "ips", WINDOWS, 300) == first
    late = store.keys.distinct_bucket("ssh", "ips", T + 2 * HOUR + 600)  # a late address
    store.redis.sadd(late, "203.0.113.50")
    second = store.distinct_counts("ssh", "ips", WINDOWS, 300)
    assert second == afresh(store) and second[2] == first[2] + 1 and second[6] == first[6] + 1
    store.redis.delete(store.keys.distinct_bucket("ssh", "ips", T + 300))  # expired
    assert store.distinct_counts("ssh", "ips", WINDOWS, 300) == afresh(store)


def test_a_replaced_set_of_the_same_size_is_counted_again(store):
    fill(store)
    before = store.distinct_counts("ssh", "ips", WINDOWS, 300)
    start = T + 3 * HOUR
    size = store.redis.scard(store.keys.distinct_bucket("ssh", "ips", start))
    other = {f"192.0.2.{k}" for k in range(size)}  # as many members, none seen before
    now = datetime.fromtimestamp(T + 6 * HOUR, UTC)
    store.replace_distinct_sets("ssh", "ips", {start: other}, [start], now, timedelta(days=30))
    after = store.distinct_counts("ssh", "ips", WINDOWS, 300)
    assert after == afresh(store) and after[3] > before[3]
