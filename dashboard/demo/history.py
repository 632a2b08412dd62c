"""Which part of its five weeks the demo writes for the metric sources: what their panels read."""

from datetime import datetime, timedelta

import numpy as np

WEEK = timedelta(days=7)
RECENT = timedelta(days=8)
BEFORE, AFTER = timedelta(hours=28), timedelta(hours=40)


def written(times: np.ndarray, anchor: datetime, recent: timedelta = RECENT) -> np.ndarray:
    """Which of these UTC times (datetime64) the demo writes: the last 8 days, and from 28 h
    before to 40 h after this time one to four weeks ago. A metric panel's 'today' (local, and
    2 h either side for a DST change) lies within that in past weeks for a demo of half a day;
    the days between change no panel, they only slowed the first read."""
    at = np.datetime64(anchor.replace(tzinfo=None), "s")
    keep = times >= at - np.timedelta64(recent)
    for weeks in range(1, 5):
        ago = at - np.timedelta64(weeks * WEEK)
        keep |= (times >= ago - np.timedelta64(BEFORE)) & (times < ago + np.timedelta64(AFTER))
    return keep


def writes_day(day: datetime, anchor: datetime, recent: timedelta = RECENT) -> bool:
    """Does the demo write any of this UTC day?"""
    start = np.datetime64(day.replace(tzinfo=None), "s")
    times = start + np.arange(0, 86400, 600).astype("timedelta64[s]")
    return bool(written(times, anchor, recent).any())
