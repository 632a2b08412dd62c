"""What visitor mode costs a poll: every demo panel polled for its full body, clear and masked.

Run: .venv/bin/python bench/visitor_mask.py [--rounds 5]
Starts a throwaway redis-server, computes the demo wall at its fixed moment (as the browser
tests do), then polls every panel with a version the screen does not have (so the body is
read, masked or not, and rendered), clear (`wall kiosk`) and masked (`wall kiosk redact`),
alternating, `rounds` times; prints the best round of each and their ratio.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from socwall.dashboard.app import create_app  # noqa: E402
from socwall.dashboard.clock import Clock  # noqa: E402
from tests.browser.demo_wall import DEMO_NOW, demo_computed  # noqa: E402
from tests.conftest import free_port, start_redis_server  # noqa: E402
from tests.dash_requests import panel_poll_body  # noqa: E402


def one_round(client, panels: list[str], wall_class: str) -> float:
    """Seconds to poll every panel once for its full body."""
    started = time.perf_counter()
    for panel_id in panels:
        response = client.post("/_dash-update-component",
                               json=panel_poll_body(panel_id, None, wall_class=wall_class))
        assert response.status_code == 200, response.data[:200]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server, url = start_redis_server(Path(tmp))
        try:
            config, _, store, services = demo_computed(url, Path(tmp), f"bench{free_port()}")
            client = create_app(config, store, Clock(DEMO_NOW, frozen=True)).server.test_client()
            panels = [panel.id for panel in config.panels()]
            one_round(client, panels, "wall kiosk redact")  # warm: the key, the inventories
            clear, masked = [], []
            for _ in range(args.rounds):
                clear.append(one_round(client, panels, "wall kiosk"))
                masked.append(one_round(client, panels, "wall kiosk redact"))
            services.close()
        finally:
            server.terminate()
            server.wait()
    best_clear, best_masked = min(clear), min(masked)
    print(f"{len(panels)} panels, full body each, best of {args.rounds} rounds")
    print(f"clear:  {best_clear * 1000:8.1f} ms per screen ({best_clear / len(panels) * 1000:.2f} "
          "ms a panel)")
    print(f"masked: {best_masked * 1000:8.1f} ms per screen ({best_masked / len(panels) * 1000:.2f}"
          " ms a panel)")
    print(f"ratio masked / clear: {best_masked / best_clear:.2f}")


if __name__ == "__main__":
    main()
