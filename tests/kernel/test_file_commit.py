"""A file's commit writes a day's new metric hash whole, adds to one that exists, and never
overwrites a hash another writer created between the check and the commit; new distinct
sets get their sizes in the commit, sets that exist after it."""

from datetime import UTC, datetime, timedelta

import redis

from socwall.feeds.follow import FileState
from socwall.file_commit import Batch

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
DAY = int(datetime(2026, 11, 23, tzinfo=UTC).timestamp())


def batch_for(store, values: dict[int, float]) -> Batch:
    batch = Batch()
    batch.metric(store.keys, "src", {"logins": values}, NOW, timedelta(days=40))
    return batch


def day_hash(store) -> dict[str, float]:
    key = store.keys.metric_day("src", "logins", NOW.date())
    return {name: float(value) for name, value in store.redis.hgetall(key).items()}


def test_a_new_day_is_written_whole_and_a_second_file_adds_to_it(store):
    first = {DAY + 300 * n: float(n + 1) for n in range(288)}
    store.commit_file("src", None, FileState("a", "/a", 3, "ha", 10), batch_for(store, first))
    assert day_hash(store) == {str(start): value for start, value in first.items()}
    second = {DAY: 10.0, DAY + 300: 0.5}
    store.commit_file("src", None, FileState("b", "/b", 3, "hb", 10), batch_for(store, second))
    expected = {str(s): v + second.get(s, 0.0) for s, v in first.items()}
    assert day_hash(store) == expected


def test_a_hash_created_after_the_check_is_added_to_not_overwritten(store, redis_url, monkeypatch):
    other = redis.Redis.from_url(redis_url, decode_responses=True)
    key = store.keys.metric_day("src", "logins", NOW.date())
    checked = Batch.new_hashes
    calls = []

    def check_then_another_writer_adds(self, watching):
        new = checked(self, watching)
        if not calls:  # once: between our check and our MULTI, as another process would
            other.hincrbyfloat(key, str(DAY), 7)
        calls.append(new)
        return new

    monkeypatch.setattr(Batch, "new_hashes", check_then_another_writer_adds)
    state = FileState("a", "/a", 3, "ha", 10)
    store.commit_file("src", None, state, batch_for(store, {DAY: 2.0, DAY + 300: 1.0}))
    assert calls == [{key}, set()]  # the WATCH failed the first try; the retry increments
    assert day_hash(store) == {str(DAY): 9.0, str(DAY + 300): 1.0}


def members_batch(store, members: dict[int, set[str]]) -> Batch:
    batch = Batch()
    batch.add_members(store.keys, "src", "ips", members, NOW, timedelta(days=40))
    return batch


def distinct_day(store) -> dict[str, str]:
    return store.redis.hgetall(store.keys.metric_day("src", "ips", NOW.date()))


def test_new_distinct_sets_get_their_sizes_in_the_commit_and_old_ones_after_it(store, monkeypatch):
    settled = []
    monkeypatch.setattr(Batch, "settle", lambda self, client: settled.append(self))
    first = {DAY: {"10.0.0.1", "10.0.0.2"}, DAY + 300: {"10.0.0.3"}}
    store.commit_file("src", None, FileState("a", "/a", 3, "ha", 10), members_batch(store, first))
    assert settled == []  # every set was new: its size was written by the commit itself
    assert distinct_day(store) == {str(DAY): "2", str(DAY + 300): "1"}
    key = store.keys.distinct_bucket("src", "ips", DAY)
    assert store.redis.ttl(key) > 0
    assert store.redis.ttl(store.keys.metric_day("src", "ips", NOW.date())) > 0
    monkeypatch.undo()
    second = {DAY: {"10.0.0.2", "10.0.0.9"}, DAY + 600: {"10.0.0.4"}}
    store.commit_file("src", None, FileState("b", "/b", 3, "hb", 10), members_batch(store, second))
    assert distinct_day(store) == {str(DAY): "3", str(DAY + 300): "1", str(DAY + 600): "1"}


def test_a_set_another_commit_creates_after_the_check_fails_the_commit_and_is_counted(
    store, monkeypatch
):
    checked = Batch.sets_are_new
    answers = []

    def check_then_another_file_commits(self, watching):
        new = checked(self, watching)
        if not answers:  # once: between our check and our MULTI, as another worker would
            answers.append("other")
            other = members_batch(store, {DAY: {"10.0.0.7"}})
            store.commit_file("src", None, FileState("b", "/b", 3, "hb", 10), other)
        answers.append(new)
        return new

    monkeypatch.setattr(Batch, "sets_are_new", check_then_another_file_commits)
    batch = members_batch(store, {DAY: {"10.0.0.1"}})
    store.commit_file("src", None, FileState("a", "/a", 3, "ha", 10), batch)
    # the other commit saw no set, nor did ours, about to write size 1: the other commit's write
    # of the files hash failed our WATCH, and the retry found the set and settled it
    assert answers == ["other", True, True, False]
    assert distinct_day(store) == {str(DAY): "2"}
