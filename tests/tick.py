"""A clock the test moves by hand: `run_source` and `run_panel` ask it for `now()`."""

from datetime import datetime


class Tick:
    def __init__(self, at: datetime):
        self.at = at

    def now(self) -> datetime:
        return self.at
