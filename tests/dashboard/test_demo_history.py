"""What the demo writes of its five weeks: every span a metric panel or the user baseline reads."""

from datetime import UTC, datetime, timedelta

import numpy as np

from socwall.dashboard.demo.history import writes_day, written

ANCHOR = datetime(2026, 3, 30, 8, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


def kept(*moments: datetime, recent: timedelta = timedelta(days=8)) -> list[bool]:
    times = np.array([m.replace(tzinfo=None) for m in moments], dtype="datetime64[s]")
    return written(times, ANCHOR, recent).tolist()


def test_the_last_eight_days_and_a_day_either_side_of_now_in_past_weeks_are_written():
    recent = [ANCHOR - h * HOUR for h in range(0, 8 * 24, 5)]
    assert all(kept(*recent))
    for weeks in range(1, 5):
        ago = ANCHOR - timedelta(weeks=weeks)
        assert all(kept(*(ago + h * HOUR for h in range(-28, 40))))
        if weeks > 1:  # a week ago is within the last 8 days
            assert kept(ago - 29 * HOUR, ago + 40 * HOUR) == [False, False]


def test_the_days_no_panel_reads_are_not():
    assert kept(*(ANCHOR - timedelta(days=d) for d in (11, 17, 30, 35))) == [False] * 4
    assert not writes_day(datetime(2026, 3, 19, tzinfo=UTC), ANCHOR)  # 11 days before
    assert writes_day(datetime(2026, 3, 2, tzinfo=UTC), ANCHOR)  # 4 weeks: the band's oldest


def test_a_longer_recent_span_for_the_user_baseline():
    days = [ANCHOR - timedelta(days=d) for d in range(17)]
    assert all(kept(*days, recent=timedelta(days=17)))
    assert not all(kept(*days))
