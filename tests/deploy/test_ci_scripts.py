""".ci scripts say what is wrong before they stop."""

import glob
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(bool(glob.glob("/usr/lib/*/faketime/libfaketime.so.1")),
                    reason="libfaketime is installed here")  # fmt: skip
def test_at_time_names_the_missing_libfaketime():
    done = subprocess.run(["bash", str(ROOT / ".ci" / "at-time"), "2027-03-28 00:57:00"],
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip() == "libfaketime is missing: apt-get install faketime"
