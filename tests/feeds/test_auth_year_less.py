"""A year-less syslog time read through the per-hour cache is the time the year-by-year search
gives, second for second, across DST changes, New Year and the day after `now`."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from socwall.feeds.auth_readers import RFC3164, _stamp, _year_less

BERLIN, LORD_HOWE = ZoneInfo("Europe/Berlin"), ZoneInfo("Australia/Lord_Howe")  # 30-min DST


def line_at(local: datetime) -> str:
    return f"{local:%b} {local.day:2d} {local:%H:%M:%S} web-01 sshd[1]: Accepted"


def assert_same_every_minute(first: datetime, hours: int, now: datetime, tz: ZoneInfo) -> None:
    for n in range(hours * 60):
        local = first + timedelta(minutes=n, seconds=n % 60)
        match = RFC3164.match(line_at(local))
        hour, minute, second = local.hour, local.minute, local.second
        expected = _stamp(local.strftime("%b"), local.day, hour, minute, second, now, tz)
        assert _year_less(match, now, tz) == expected, local


def test_the_cached_hours_give_the_searched_times_across_dst_changes():
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert_same_every_minute(datetime(2026, 3, 28, 22, 0), 8, now, BERLIN)  # spring forward
    assert_same_every_minute(datetime(2026, 10, 24, 22, 0), 8, now, BERLIN)  # fall back
    assert_same_every_minute(datetime(2026, 4, 4, 22, 0), 8, now, LORD_HOWE)  # half an hour
    assert_same_every_minute(datetime(2026, 10, 3, 22, 0), 8, now, LORD_HOWE)


def test_the_cached_hours_give_the_searched_times_at_new_year_and_a_day_after_now():
    now = datetime(2026, 1, 1, 0, 20, 30, tzinfo=UTC)  # 01:20:30 in Berlin
    assert_same_every_minute(datetime(2025, 12, 31, 20, 0), 10, now, BERLIN)
    tomorrow = now.astimezone(BERLIN).replace(tzinfo=None) + timedelta(days=1)
    assert_same_every_minute(tomorrow - timedelta(hours=2), 4, now, BERLIN)
    match = RFC3164.match(line_at(tomorrow + timedelta(seconds=1)))  # past the day: last year
    assert _year_less(match, now, BERLIN).year == 2025
