"""Fixtures shared by the feed tests."""

import pytest


@pytest.fixture(scope="session")
def spark():
    """One local SparkSession for every Spark test of the run: starting one costs 5-15 s, and
    Spark allows one per process anyway. Stopped at the end of the run."""
    from socwall.feeds.query_engines import spark_session

    session = spark_session(None)
    yield session
    session.stop()
