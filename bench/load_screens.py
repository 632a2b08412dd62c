"""N wall screens polling a real `socwall serve` + `socwall worker` + redis-server, as browsers do.

Run: .venv/bin/python bench/load_screens.py [--phases 1:180,10:180,50:600]

Each simulated screen does what Chromium does for the wall (request bodies captured from a
Chromium 156 session against this app, see bench/README.md): the page (`/`, with the signed
endId the renderer echoes), `/_dash-layout`, `/_dash-dependencies`, the routing callback and a
first call of every callback; then every `web.poll` the strip callback and one callback per panel
(20), sent together over at most 6 connections (Chromium's limit per host), each panel sending
the version it shows; and `/healthz` every 5 s (assets/wall.js). Screens start at random
offsets within one poll interval and stay: the phases add screens (1, then 10, then 50).

Per phase it prints requests, errors, callback latency p50/p95/p99, and CPU seconds per minute
of the worker, of the serve processes (gunicorn master + workers), of redis-server and of this
client. Baselines measured in the same run: `/livez` latency (one probe a second on its own
connection, under the same load) and the 1-screen phase.
"""

import argparse
import asyncio
import errno
import json
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import psutil
from live_wall import LiveWall, demo_raw_config, start_chromium, twenty_panel_pages

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.dash_requests import panel_poll_body  # noqa: E402

CONNECTIONS_PER_SCREEN = 6  # Chromium's limit per host for HTTP/1.1
HEALTH_CHECK_S = 5  # assets/wall.js
SCALE = 1.0  # a 1920x1080 screen
STRIP_OUTPUTS = [("health-strip", "children"), ("wall-clock", "children"),
                 ("replay-badge", "children")]  # fmt: skip
ROUTING_OUTPUTS = [("page", "children"), ("page-title", "children"),
                   ("page-nav", "children"), ("wall", "className"),
                   ("rotate", "disabled"), ("rotate", "interval")]  # fmt: skip


def browser_panel_body(
    panel_id: str, shown: str | None, tick: int | None, scale: float = SCALE
) -> dict:
    """As the renderer sends it; tick None is the first call, before the interval fired."""
    body = panel_poll_body(panel_id, shown, scale, tick or 0)
    if tick is None:
        del body["inputs"][0]["value"]
        body["changedPropIds"] = []
    if shown is None:
        del body["state"][0]["value"]
    body["parsedChangedPropsIds"] = body["changedPropIds"]
    return body


def strip_body(tick: int | None) -> dict:
    poll = {"id": "poll", "property": "n_intervals"}
    changed = [] if tick is None else ["poll.n_intervals"]
    return {
        "output": _multi_output(STRIP_OUTPUTS),
        "outputs": [{"id": i, "property": p} for i, p in STRIP_OUTPUTS],
        "inputs": [poll if tick is None else {**poll, "value": tick}],
        "changedPropIds": changed,
        "parsedChangedPropsIds": changed,
    }


def routing_body(pathname: str) -> dict:
    changed = ["url.pathname", "url.search"]
    return {
        "output": _multi_output(ROUTING_OUTPUTS),
        "outputs": [{"id": i, "property": p} for i, p in ROUTING_OUTPUTS],
        "inputs": [{"id": "url", "property": "pathname", "value": pathname},
                   {"id": "url", "property": "search", "value": ""}],  # fmt: skip
        "changedPropIds": changed,
        "parsedChangedPropsIds": changed,
    }


def _multi_output(outputs: list[tuple[str, str]]) -> str:
    return ".." + "...".join(f"{i}.{p}" for i, p in outputs) + ".."


@dataclass
class Tally:
    """What one phase saw: callback latencies, other requests, errors with a sample message."""

    callback_ms: list[float] = field(default_factory=list)
    livez_ms: list[float] = field(default_factory=list)
    other_requests: int = 0
    resent: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what)


class Screen:
    """One wall screen: its own connection pool, its panels' shown versions, its poll counter."""

    def __init__(self, base: str, panel_ids: list[str], poll_s: float):
        self.base, self.panel_ids, self.poll_s = base, panel_ids, poll_s
        self.shown: dict[str, str | None] = dict.fromkeys(panel_ids)
        self.end_id = ""

    async def run(self, stats, stop: asyncio.Event, start_delay: float) -> None:
        await asyncio.sleep(start_delay)
        connector = aiohttp.TCPConnector(limit=CONNECTIONS_PER_SCREEN)
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            await self.open_page(session, stats())
            health = asyncio.create_task(self.check_health(session, stats, stop))
            tick = 0
            next_poll = time.monotonic() + self.poll_s
            while not stop.is_set():
                await _sleep_until(next_poll, stop)
                if stop.is_set():
                    break
                tick += 1
                next_poll += self.poll_s
                await self.poll(session, stats(), tick)
            await health

    async def open_page(self, session, tally: Tally) -> None:
        html = await self.get(session, "/", tally)
        match = re.search(r'"end_id":\s*"([^"]+)"', html or "")
        self.end_id = match.group(1) if match else ""
        await self.get(session, "/_dash-layout", tally)
        await self.get(session, "/_dash-dependencies", tally)
        await self.callback(session, routing_body("/"), tally, timed=False)
        await self.poll(session, tally, None)

    async def poll(self, session, tally: Tally, tick: int | None) -> None:
        """The strip and every panel at once, as the renderer fires them on an interval tick."""
        calls = [self.callback(session, strip_body(tick), tally)]
        calls += [self.poll_panel(session, p, tally, tick) for p in self.panel_ids]
        await asyncio.gather(*calls)

    async def poll_panel(self, session, panel_id: str, tally: Tally, tick: int | None) -> None:
        body = browser_panel_body(panel_id, self.shown[panel_id], tick)
        parts = await self.callback(session, body, tally)
        for key, value in (parts or {}).items():
            if '"panel-version"' in key:
                self.shown[panel_id] = value["data"]

    async def callback(self, session, body: dict, tally: Tally, timed: bool = True) -> dict | None:
        url = f"{self.base}/_dash-update-component"
        started = time.perf_counter()
        try:
            status, payload = await send(
                session, "POST", url, tally, params={"endId": self.end_id}, json=body
            )
        except (aiohttp.ClientError, TimeoutError) as error:
            tally.error(f"callback: {type(error).__name__}: {error}")
            return None
        elapsed_ms = (time.perf_counter() - started) * 1000  # with a resend, as a browser sees it
        if status != 200:  # 204 (nothing to update) never happens here: every callback sets a class
            tally.error(f"callback: HTTP {status}: {payload[:200]!r}")
            return None
        if timed:
            tally.callback_ms.append(elapsed_ms)
        else:
            tally.other_requests += 1
        return json.loads(payload)["response"]

    async def get(self, session, path: str, tally: Tally, ok=(200,)) -> str | None:
        try:
            status, payload = await send(session, "GET", f"{self.base}{path}", tally)
        except (aiohttp.ClientError, TimeoutError) as error:
            tally.error(f"GET {path}: {type(error).__name__}: {error}")
            return None
        if status not in ok:
            tally.error(f"GET {path}: HTTP {status}")
            return None
        tally.other_requests += 1
        return payload.decode()

    async def check_health(self, session, stats, stop: asyncio.Event) -> None:
        next_check = time.monotonic() + 1  # wall.js: first check 1 s after load
        while not stop.is_set():
            await _sleep_until(next_check, stop)
            if not stop.is_set():
                await self.get(session, "/healthz", stats(), ok=(200, 503))
                next_check = time.monotonic() + HEALTH_CHECK_S


async def send(session, method: str, url: str, tally: Tally, **options) -> tuple[int, bytes]:
    """One request; resent once when the server closed a kept-alive connection under it.

    Chromium does the same (a reused socket that fails before any response byte is retried,
    POST included); gunicorn closes idle connections after its keep-alive of 2 s, and a request
    can cross that close. The resends are counted and printed; a second failure is an error.
    """
    for attempt in (1, 2):
        try:
            async with session.request(method, url, **options) as response:
                return response.status, await response.read()
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as error:
            if attempt == 2 or not _closed_under_us(error):
                raise
            tally.resent += 1
    raise AssertionError("unreachable")


def _closed_under_us(error: Exception) -> bool:
    if isinstance(error, aiohttp.ServerDisconnectedError):
        return True
    # errno None: aiohttp's "Can not write request body", the connection closed mid-write
    return getattr(error, "errno", None) in (errno.ECONNRESET, errno.EPIPE, None)


async def probe_livez(base: str, stats, stop: asyncio.Event) -> None:
    """The baseline under the same load: a route that touches neither Redis nor Dash."""
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                async with session.get(f"{base}/livez") as response:
                    await response.read()
                    if response.status == 200:
                        stats().livez_ms.append((time.perf_counter() - started) * 1000)
                    else:
                        stats().error(f"/livez: HTTP {response.status}")
            except aiohttp.ClientError as error:
                stats().error(f"/livez: {error}")
            await _sleep_until(time.monotonic() + 1, stop)


async def _sleep_until(when: float, stop: asyncio.Event) -> None:
    try:
        await asyncio.wait_for(stop.wait(), max(0.0, when - time.monotonic()))
    except TimeoutError:
        pass


class CpuMeter:
    """CPU seconds (user + system) of named process groups, between two readings."""

    def __init__(self, wall: LiveWall):
        self.roots = {name: wall.processes[name].pid for name in ("worker", "serve", "redis")}
        self.roots["client"] = psutil.Process().pid

    def reading(self) -> dict[str, dict[int, float]]:
        result = {}
        for name, pid in self.roots.items():
            root = psutil.Process(pid)
            group = [root] + ([] if name == "client" else root.children(recursive=True))
            result[name] = {}
            for process in group:
                try:
                    times = process.cpu_times()
                    result[name][process.pid] = times.user + times.system
                except psutil.NoSuchProcess:
                    pass
        return result

    @staticmethod
    def used(before: dict, after: dict) -> dict[str, float]:
        """Per group: CPU seconds between the readings (processes born in between count whole)."""
        return {
            name: sum(cpu - before[name].get(pid, 0.0) for pid, cpu in after[name].items())
            for name in after
        }


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def run_phases(wall: LiveWall, phases: list[tuple[int, float]]) -> list[dict]:
    panel_ids = [panel.id for panel in wall.config.pages[0].panels]
    poll_s = wall.config.web.poll.total_seconds()
    phase = [Tally()]  # what screens and the probe count into: the running phase's tally

    def stats() -> Tally:
        return phase[0]

    stop = asyncio.Event()
    tasks = [asyncio.create_task(probe_livez(wall.url, stats, stop))]
    meter, rows = CpuMeter(wall), []
    for screens, seconds in phases:
        while len(tasks) - 1 < screens:
            screen = Screen(wall.url, panel_ids, poll_s)
            delay = random.uniform(0, poll_s)
            tasks.append(asyncio.create_task(screen.run(stats, stop, delay)))
        current = phase[0] = Tally()
        before, started = meter.reading(), time.monotonic()
        await asyncio.sleep(seconds)
        minutes = (time.monotonic() - started) / 60
        cpu = CpuMeter.used(before, meter.reading())
        rows.append(report_phase(screens, minutes, current, cpu, rows[0] if rows else None))
    stop.set()
    await asyncio.gather(*tasks)
    return rows


def report_phase(screens: int, minutes: float, tally: Tally, cpu: dict, first: dict | None) -> dict:
    lat = tally.callback_ms
    row = {
        "screens": screens, "minutes": minutes, "callbacks": len(lat),
        "other": tally.other_requests, "errors": tally.errors, "resent": tally.resent,
        "p50": statistics.median(lat), "p95": percentile(lat, 95), "p99": percentile(lat, 99),
        "livez_p50": statistics.median(tally.livez_ms), "livez_p99": percentile(tally.livez_ms, 99),
        **{f"cpu_{name}": seconds / minutes for name, seconds in cpu.items()},
    }  # fmt: skip
    print(f"\n{screens} screen(s), {minutes:.1f} min: {row['callbacks']:,} callback polls "
          f"({row['callbacks'] / minutes / 60:.1f}/s), {row['other']:,} page/healthz requests, "
          f"errors {row['errors']}, resent on a closed keep-alive connection "
          f"{row['resent']}")  # fmt: skip
    for sample in tally.error_samples:
        print(f"  error: {sample}")
    print(f"  callback latency p50 {row['p50']:.1f} ms  p95 {row['p95']:.1f} ms  "
          f"p99 {row['p99']:.1f} ms  max {max(lat):.1f} ms")  # fmt: skip
    print(f"  baseline /livez      p50 {row['livez_p50']:.1f} ms  p99 {row['livez_p99']:.1f} ms;"
          f"  ratio callback p50 / livez p50 {row['p50'] / row['livez_p50']:.2f}")  # fmt: skip
    if first:
        print(f"  ratio to the 1-screen phase: p50 {row['p50'] / first['p50']:.2f}, "
              f"p99 {row['p99'] / first['p99']:.2f}, worker CPU "
              f"{row['cpu_worker'] / first['cpu_worker']:.2f}")  # fmt: skip
    print("  CPU s/min: " + ", ".join(f"{n} {row[f'cpu_{n}']:.1f}"
                                      for n in ("worker", "serve", "redis", "client")))  # fmt: skip
    sys.stdout.flush()
    return row


def print_table(rows: list[dict]) -> None:
    print("\n| screens | minutes | callback polls | errors | resent | p50 ms | p95 ms | p99 ms "
          "| /livez p50 ms | worker CPU s/min | serve CPU s/min | redis CPU s/min "
          "| client CPU s/min |")  # fmt: skip
    print("|" + " ---: |" * 13)
    for r in rows:
        print(f"| {r['screens']} | {r['minutes']:.1f} | {r['callbacks']:,} | {r['errors']} "
              f"| {r['resent']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['p99']:.1f} "
              f"| {r['livez_p50']:.1f} | "
              f"{r['cpu_worker']:.1f} | {r['cpu_serve']:.1f} | {r['cpu_redis']:.1f} | "
              f"{r['cpu_client']:.1f} |")  # fmt: skip


def check_bodies(wall: LiveWall, seconds: float) -> int:
    """Chromium on the same wall for `seconds`: is every callback body it sends one we send?"""
    driver = start_chromium(performance_log=True)
    try:
        driver.get(f"{wall.url}/")
        time.sleep(seconds)  # the bench's own measurement window, not a synchronisation
        messages = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
        bodies = [
            json.loads(m["params"]["request"]["postData"])
            for m in messages
            if m["method"] == "Network.requestWillBeSent"
            and "/_dash-update-component" in m["params"]["request"]["url"]
        ]
    finally:
        driver.quit()
    different = [body for body in bodies if body != simulated_twin(body)]
    print(f"--check-bodies: Chromium sent {len(bodies)} callback bodies in {seconds:.0f} s; "
          f"{len(bodies) - len(different)} equal to the ones this script sends")  # fmt: skip
    for body in different[:3]:
        print(f"  differs: {json.dumps(body)[:600]}\n  ours:    "
              f"{json.dumps(simulated_twin(body))[:600]}")  # fmt: skip
    return len(different)


def simulated_twin(body: dict) -> dict | None:
    """The body this script would send for the same callback, tick and shown version."""
    poll = body["inputs"][0]
    tick = poll.get("value") if poll["id"] == "poll" else None
    if body["output"].startswith("..health-strip"):
        return strip_body(tick)
    if body["output"].startswith("..page."):
        return routing_body(poll["value"])
    panel_id = body["outputs"][0]["id"]["id"]
    shown = body["state"][0].get("value")
    return browser_panel_body(panel_id, shown, tick, body["inputs"][1]["value"]["scale"])


def parse_phases(text: str) -> list[tuple[int, float]]:
    phases = []
    for part in text.split(","):
        screens, seconds = part.split(":")
        phases.append((int(screens), float(seconds)))
    if [s for s, _ in phases] != sorted(s for s, _ in phases):
        raise SystemExit("--phases: screens only grow (screens stay from one phase to the next)")
    return phases


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--phases", default="1:180,10:180,50:600",
                        help="screens:seconds,... (default: 1:180,10:180,50:600)")  # fmt: skip
    parser.add_argument("--poll", default="5s", help="web.poll of the generated config")
    parser.add_argument("--check-bodies", type=float, metavar="SECONDS",
                        help="first compare Chromium's callback bodies with ours for SECONDS; "
                             "exit 1 on any difference")  # fmt: skip
    args = parser.parse_args()
    phases = parse_phases(args.phases)
    with tempfile.TemporaryDirectory(prefix="socwall-load-") as tmp:
        wall = LiveWall(Path(tmp), {"poll": args.poll, "rotate": None},
                        twenty_panel_pages(demo_raw_config()))  # fmt: skip
        started = time.monotonic()
        wall.start()
        panels = wall.config.pages[0].panels
        print(f"wall up in {time.monotonic() - started:.0f} s: {wall.url}, 1 page of "
              f"{len(panels)} panels ({', '.join(sorted({p.widget for p in panels}))}), "
              f"poll {args.poll}, `socwall serve` with its default workers "
              f"({wall.config.web.workers})")  # fmt: skip
        try:
            if args.check_bodies and check_bodies(wall, args.check_bodies):
                return 1
            rows = asyncio.run(run_phases(wall, phases))
        finally:
            wall.stop()
    print_table(rows)
    return 1 if any(r["errors"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
