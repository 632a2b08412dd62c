"""The rows of the `sensors` widget: one per source, per file or feed, and per capture sensor,
each with its numbers, its state and the sentence a shift lead reads from across the room."""

from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from socwall.durations import duration_words
from socwall.widgets.sensor_health import (
    Seen,
    Usual,
    before_silence,
    judged_until,
    recent_index,
    usual_count,
    usual_lag,
    verdict,
    weekly,
    window_sum,
)
from socwall.widgets.week_ago import band, bucket_starts, same_local_time, values_at

UNITS = {"flows": "flows", "events": "events", "auth": "log-in attempts", "news": "new entries",
         "prometheus": "samples", "query": "rows", "sensor_stats": "stats records"}  # fmt: skip
LEVELS = {"silent": "alarm", "low": "alarm", "late": "alarm", "error": "alarm", "blind": "alarm",
          "drops": "alarm", "sensor-silent": "alarm", "waiting": "notice", "learning": "notice",
          "drops-usual": "notice"}  # fmt: skip


def compact(value: float | None) -> str:
    """1234 -> '1.2k', 12345 -> '12k', 3456789 -> '3.5M'; None -> '–'."""
    if value is None or np.isnan(value):
        return "–"
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= limit:
            scaled = value / limit
            return f"{scaled:.1f}{suffix}" if scaled < 10 else f"{scaled:.0f}{suffix}"
    return f"{value:.0f}"


def _minutes(delta: timedelta | float) -> str:
    seconds = delta.total_seconds() if isinstance(delta, timedelta) else delta
    return duration_words(seconds / 60) if seconds >= 60 else f"{max(0, round(seconds))} s"


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def source_rows(history, label: str, rules, context) -> list[dict]:
    """The source's own row (its status first), then a row per part when it has several."""
    last, unit = history.last, UNITS.get(history.kind, "records")
    seen = _seen(last, last.get("first_run_at"), context.now)
    row = assess(history.source_id, label, unit, (history.rows, history.runs, history.lag),
                 seen, history.status.get("newest"), rules, context)  # fmt: skip
    rows = [_with_status(row, history.status, label, bool(last))]
    for name, part in history.parts.items():
        state = (last.get("parts") or {}).get(name) or {}
        part_row = assess(f"{history.source_id}/{name}", f"{name} ({label})", unit,
                          (part, history.runs, None),
                          _seen(state, state.get("seen_at"), context.now), None, rules, context,
                          kind="part")  # fmt: skip
        part_row["name"] = name  # the line shows it under its source; the words say whose
        if state.get("error"):
            part_row.update(state="error", level="alarm",
                            words=f"{name} ({label}): {state['error']}")
        rows.append({**part_row, "source": history.source_id})
    return rows


def _seen(state: dict, began: str | None, now: datetime) -> Seen:
    rows_at, gap_from = _time(state.get("rows_at")), _time(state.get("gap_from"))
    since = rows_at or _time(began)
    return Seen(now - since if since else None,
                rows_at - gap_from if rows_at and gap_from else None, rows_at is not None)


def assess(row_id: str, name: str, unit: str, series: tuple, seen: Seen, newest: str | None,
           rules, context, kind: str = "source") -> dict:  # fmt: skip
    """One row's numbers and verdict from its arrivals history."""
    rows, runs, lag_series = series
    now, tz = context.now, context.tz
    index = recent_index(judged_until(now, seen, rules), rules.quiet)
    count = window_sum(rows, runs, index)
    past = weekly(rows, runs, index, rules.weeks, tz)
    usual = usual_count(past, rules.band)
    quiet_usual = usual
    if usual.basis is None and seen.had_rows and seen.silent_for is not None:
        quiet_usual = before_silence(rows, runs, now - seen.silent_for, rules.quiet)
    lag = (now - _time(newest)).total_seconds() if newest else None
    lag_usual = usual_lag(lag_series, index, rules.weeks, tz, now) if lag_series else None
    state = verdict(count, seen, usual, quiet_usual, lag, lag_usual, rules)
    window = _minutes(rules.quiet)
    row = {"id": row_id, "name": name, "kind": kind, "source": row_id.split("/", 1)[0],
           "state": state, "level": LEVELS.get(state, "calm"), "count": compact(count),
           "per_min": None if np.isnan(count) else round(count / rules.quiet.total_seconds()
                                                          * 60, 1),
           "window": window, "usual": _usual_text(usual),
           "week_ago": compact(past[0]) if len(past) else "–", "bar": _bar(count, usual, past),
           "lag": _minutes(lag) if lag is not None else None}  # fmt: skip
    row["words"] = _words(state, name, unit, count, usual, quiet_usual, seen, lag, lag_usual,
                          window) or (f"a week ago {row['week_ago']}"
                                      if row["week_ago"] != "–" else "")  # fmt: skip
    return row


def _usual_text(usual: Usual) -> str:
    if usual.basis == "band":
        return f"{compact(usual.low)}–{compact(usual.high)}"
    return compact(usual.low) if usual.basis else "–"


def _bar(count: float, usual: Usual, past: np.ndarray) -> dict | None:
    """A bullet bar: the window's count, the band, the week-ago tick, on one scale."""
    values = [v for v in (count, usual.high, past[0] if len(past) else None)
              if v is not None and not np.isnan(v)]  # fmt: skip
    top = max(values, default=0.0)
    if top <= 0:
        return None
    scale = 100 / (top * 1.15)
    week = past[0] if len(past) and not np.isnan(past[0]) else None
    return {"value": 0 if np.isnan(count) else round(count * scale, 1),
            "low": None if usual.basis != "band" else round(usual.low * scale, 1),
            "high": None if usual.basis != "band" else round(usual.high * scale, 1),
            "week": None if week is None else round(week * scale, 1)}  # fmt: skip


def _words(state, name, unit, count, usual, quiet_usual, seen, lag, lag_usual, window):
    usually = (f"usually {compact(usual.low)}–{compact(usual.high)}" if usual.basis == "band"
               else f"a week ago {compact(usual.low)}" if usual.basis == "week" else "")
    silence = _minutes(seen.silent_for) if seen.silent_for is not None else ""
    if state == "silent":
        if quiet_usual.basis == "recent":
            return (f"{name}: 0 {unit} in {silence}; {compact(quiet_usual.low)} per {window} "
                    "in the hour before (no week-ago history yet)")
        return f"{name}: 0 {unit} in {silence}, {usually} per {window}"
    if state == "low":
        return f"{name}: {compact(count)} {unit} in {window}, {usually}"
    if state == "late":
        return f"{name}: newest record {_minutes(lag)} old, usually {_minutes(lag_usual)}"
    if state == "quiet":
        return f"nothing for {silence}, as usual at this time"
    if state == "back":
        return f"sending again, after {_minutes(seen.gap)} without records"
    if state == "pause":
        return f"nothing for {silence} (silent after {window})"
    if state == "learning":
        return "no week-ago history yet: learning what is usual"
    return ""


def _with_status(row: dict, status: dict, label: str, recorded: bool) -> dict:
    """A source that failed or recognised nothing says so, whatever its counts."""
    if not status:
        return {**row, "state": "waiting", "level": "notice", "words": f"{label}: not read yet"}
    if status.get("status") in ("error", "blind"):
        sentence = status.get("error") or "the last read failed"
        return {**row, "state": status["status"], "level": "alarm", "words": f"{label}: {sentence}"}
    if not recorded:
        return {**row, "state": "learning", "level": "notice",
                "words": "first read done; arrivals are counted from the next one"}  # fmt: skip
    return row


def drop_rows(history, label: str, rules, drop_alarm: float, context) -> list[dict]:
    """A row per capture sensor of a sensor_stats source: its packet drops against its band."""
    rows = []
    for sensor, series in history.sensors.items():
        packets = series["packets"]
        end = pd.Timestamp(context.now).floor(packets.bucket)
        index = bucket_starts(end - rules.quiet, end, packets.bucket)

        def share(idx, series=series) -> tuple[float, float, float]:
            kinds = ("dropped", "reported", "packets")
            got = [np.nansum(values_at(series[k], idx)) for k in kinds]
            return got[0], got[1], got[2]

        dropped, reported, seen = share(index)
        past, past_packets = [], []
        for k in range(1, rules.weeks + 1):
            d, r, p = share(same_local_time(index, k, context.tz, packets.bucket))
            past.append(d / r * 100 if r > 0 else np.nan)
            past_packets.append(p)
        low, high = (float(x[0]) for x in band(np.array(past).reshape(-1, 1), rules.band))
        row_id, window = f"{history.source_id}/{sensor}", _minutes(rules.quiet)
        last = _time(history.sensor_seen.get(sensor))
        gone = last is not None and context.now - last > max(rules.quiet, 3 * packets.bucket)
        usual_packets = usual_count(np.array(past_packets, dtype=float), rules.band)
        if gone and (usual_packets.low or 0) > 0:
            rows.append(_silent_sensor(row_id, sensor, history.source_id, context.now - last,
                                       usual_packets, window))  # fmt: skip
            continue
        rows.append(_drop_row(row_id, sensor, history.source_id, (dropped, reported, seen),
                              (low, high), drop_alarm, window))  # fmt: skip
    return rows


def _silent_sensor(row_id, sensor, source_id, since: timedelta, usual: Usual, window) -> dict:
    return {"id": row_id, "name": sensor, "kind": "sensor", "source": source_id, "count": "0",
            "window": window, "per_min": 0.0, "usual": _usual_text(usual), "week_ago": "–",
            "bar": None, "lag": None, "state": "sensor-silent", "level": "alarm",
            "words": f"{sensor}: no stats record for {_minutes(since)}, usually "
                     f"{_usual_text(usual)} packets per {window}"}  # fmt: skip


def _drop_row(row_id, sensor, source_id, counts, usual, drop_alarm, window) -> dict:
    dropped, reported, seen = counts
    low, high = usual
    row = {"id": row_id, "name": sensor, "kind": "sensor", "source": source_id, "count":
           compact(seen), "window": window, "per_min": None, "usual": "–", "week_ago": "–",
           "bar": None, "lag": None}  # fmt: skip
    if reported <= 0:
        words = "drops not reported (read from a capture file?)"
        words = words if seen else f"no packets in {window}"
        return {**row, "state": "unreported", "level": "calm", "words": words}
    pct = dropped / reported * 100
    known = not np.isnan(low)
    usual_words = f", usually {low:.1f}–{high:.1f} %" if known else ""
    state = "ok"
    if pct >= drop_alarm:
        state = "drops-usual" if known and pct <= high else "drops"
    words = f"{pct:.1f} % dropped ({compact(dropped)} of {compact(reported)})"
    if state != "ok":  # the sentence read from across the room, whole
        words = (f"{sensor}: {pct:.1f} % of packets dropped in {window} ({compact(dropped)} of "
                 f"{compact(reported)}){usual_words}")  # fmt: skip
    return {**row, "state": state, "level": LEVELS.get(state, "calm"), "words": words,
            "drop_pct": round(pct, 2), "usual": f"{low:.1f}–{high:.1f} %" if known else "–"}
