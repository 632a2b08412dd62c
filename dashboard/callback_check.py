"""What a Dash callback request may be: a server callback this app registered, with each
output, input and state in the place and the form the Dash renderer sends them.

Dash hands a callback its input values by position and never looks at their ids, so the id
and property at every position must be the ones the callback declared there: a request that
spells "url" as "URL" is refused, not run. A forged callback gets a 400 and one log line
before any store read; Dash would answer many of them with a 500 and a traceback.
"""

import json
import logging
from dataclasses import dataclass

from flask import Response, g, request

from socwall.dashboard.body_deadline import read_body, too_slow

log = logging.getLogger(__name__)
CALLBACK_PATH = "/_dash-update-component"
MAX_DEPTH = 12  # the renderer's deepest: wildcard lists of items with dict ids and dict values
MAX_VALUE_BYTES = 4096  # one input value: a tick, the viewport, a path; panel payloads go out
MAX_ITEMS = 256  # ids one wildcard (ALL) may match, changed props one request may name
WILDCARDS = (["MATCH"], ["ALL"], ["ALLSMALLER"])


@dataclass(frozen=True)
class Slot:
    """One output, input or state a callback declared: an id (text, or a dict that may hold
    wildcards) and a property."""

    ident: str | dict
    prop: str

    @classmethod
    def parse(cls, ident: str, prop: str) -> "Slot":
        """From the callback map, where a pattern id is JSON text."""
        return cls(json.loads(ident) if ident.startswith("{") else ident, prop)

    @property
    def name(self) -> str:
        """The component's id, or a pattern id's type: what value rules are keyed by."""
        return self.ident if isinstance(self.ident, str) else str(self.ident.get("type"))

    @property
    def many(self) -> bool:
        """ALL and ALLSMALLER ids match a list of components: the renderer sends a list."""
        return isinstance(self.ident, dict) and any(
            value in (["ALL"], ["ALLSMALLER"]) for value in self.ident.values()
        )


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _text(value) -> bool:
    return value is None or (isinstance(value, str) and len(value) <= 2048)


def _ticks(value) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)


def _viewport(value) -> bool:  # wall.js: {"scale": 0.6 .. ~4}, stepped by 0.05
    return value is None or (isinstance(value, dict) and set(value) <= {"scale"}
                             and _number(scale := value.get("scale", 1.0))
                             and 0.1 <= scale <= 16)  # fmt: skip


VALUES = {  # (component id or pattern type, property): what its value may be
    ("poll", "n_intervals"): _ticks,
    ("rotate", "n_intervals"): _ticks,
    ("url", "pathname"): _text,
    ("url", "search"): _text,
    ("viewport", "data"): _viewport,
    ("panel-version", "data"): _text,
}


def parse_body(body: bytes):
    """The request's JSON, or a reason it is not one this app reads (never an exception)."""
    try:
        call = json.loads(body)
    except ValueError:
        return None, "the body is not JSON"
    except RecursionError:  # arrays nested 30,000 deep
        return None, f"the body is nested deeper than {MAX_DEPTH}"
    if _depth(call) > MAX_DEPTH:
        return None, f"the body is nested deeper than {MAX_DEPTH}"
    return call, None


def _depth(document) -> int:
    deepest, pending = 0, [(document, 1)]
    while pending:
        item, depth = pending.pop()
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH and isinstance(item, dict | list):
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return deepest - 1


def callback_problem(call, callbacks: dict, panel_ids: set[str]) -> str | None:
    """Why a parsed callback request is not one this app's pages send, or None when it is."""
    if not isinstance(call, dict) or not isinstance(call.get("output"), str):
        return "no such callback"
    spec = callbacks.get(call["output"])
    if spec is None or "callback" not in spec:  # browser-only callbacks have no server side
        return "no such callback"
    changed = call.get("changedPropIds", [])
    if not isinstance(changed, list) or len(changed) > MAX_ITEMS or not all(
        isinstance(item, str) and len(item) <= 512 for item in changed
    ):
        return "changedPropIds is not a list of names"
    outputs = declared_outputs(call["output"])
    given = call.get("outputs")
    if not call["output"].startswith(".."):
        given = [given]  # one output: the renderer sends its item alone
    groups = [("outputs", outputs, given)] + [
        (group, [Slot.parse(d["id"], d["property"]) for d in spec.get(group, [])],
         call.get(group, [])) for group in ("inputs", "state")
    ]  # fmt: skip
    for group, slots, items in groups:
        if not isinstance(items, list) or len(items) != len(slots):
            return f"{group} do not match the callback"
        for slot, item in zip(slots, items, strict=True):
            if problem := _slot_problem(slot, item, panel_ids):
                return f"{group}: {problem}"
    return None


def declared_outputs(output: str) -> list[Slot]:
    """The outputs a callback map key names: `id.prop`, or `..a.x...b.y..` for several."""
    parts = output[2:-2].split("...") if output.startswith("..") else [output]
    return [Slot.parse(*part.rsplit(".", 1)) for part in parts]


def _slot_problem(slot: Slot, item, panel_ids: set[str]) -> str | None:
    if slot.many:
        if not isinstance(item, list) or len(item) > MAX_ITEMS:
            return f"{slot.name}.{slot.prop} is not a list"
        return next((p for one in item if (p := _item_problem(slot, one, panel_ids))), None)
    return _item_problem(slot, item, panel_ids)


def _item_problem(slot: Slot, item, panel_ids: set[str]) -> str | None:
    if not isinstance(item, dict):
        return "an item that is not an object"
    if item.get("property") != slot.prop or not _id_matches(slot.ident, item.get("id"), panel_ids):
        return f"not {slot.name}.{slot.prop} where the callback declared it"
    if "value" not in item:
        return None  # a property the browser does not have yet: Dash passes None
    value = item["value"]
    rule = VALUES.get((slot.name, slot.prop))
    if rule is not None and not rule(value):
        return f"{slot.name}.{slot.prop} cannot be {json.dumps(value)[:40]}"
    if len(json.dumps(value)) > MAX_VALUE_BYTES:
        return f"{slot.name}.{slot.prop} is larger than {MAX_VALUE_BYTES} bytes"
    return None


def _id_matches(declared: str | dict, given, panel_ids: set[str]) -> bool:
    """The same id; where the declaration has a wildcard, a panel this wall has."""
    if isinstance(declared, str):
        return given == declared
    if not isinstance(given, dict) or set(given) != set(declared):
        return False
    for key, wanted in declared.items():
        value = given[key]
        if wanted in WILDCARDS:
            if not isinstance(value, str) or value not in panel_ids:
                return False
        elif value != wanted:
            return False
    return True


TOO_SLOW = "the body did not arrive in time"


def refuse_malformed(callbacks: dict, panel_ids: set[str]) -> Response | None:
    """For the request being served: 400 with the reason when its callback is malformed, 408
    when its body did not arrive in time (body_deadline logs those, counted)."""
    problem = checked_call(callbacks, panel_ids)[1]
    if problem is None:
        return None
    if problem == TOO_SLOW:
        return too_slow()
    log.info("refused a callback request from %s: %s", request.remote_addr, problem)
    return Response(json.dumps({"error": problem}), 400, mimetype="application/json")


def checked_call(callbacks: dict, panel_ids: set[str]):
    """(the parsed callback, the reason it is refused or None), once per request; the body
    is read here, within the body deadline."""
    if "socwall_call" not in g:
        body = read_body()
        call, problem = (None, TOO_SLOW) if body is None else parse_body(body)
        g.socwall_call = (call, problem or callback_problem(call, callbacks, panel_ids))
    return g.socwall_call
