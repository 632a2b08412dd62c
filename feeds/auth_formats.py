"""Authentication events from Zeek logs (ssh, kerberos, ntlm). Pure functions.

Windows events (.evtx, JSON lines) are read by feeds/auth_windows.py; its functions are
available here too, where the readers of every non-syslog format are looked up.
"""

from datetime import UTC, datetime

from socwall.feeds.auth_event import AuthEvent
from socwall.feeds.auth_windows import (  # noqa: F401 - the readers of every format, in one place
    parse_evtx,
    parse_evtx_after,
    parse_windows_json,
    windows_event,
)
from socwall.feeds.flow_readers import zeek_table


def parse_zeek_ssh(data: bytes) -> tuple[list[AuthEvent], int]:
    """SSH logins seen from the network: Zeek knows how many attempts and whether one worked,
    not the user. A success after n attempts is n - 1 failures and one success."""
    chunk = zeek_table(data, ["ts", "id.orig_h", "id.resp_h", "auth_success", "auth_attempts"])
    rows = chunk.table.to_pylist()
    events = []
    for row in rows:
        if row.get("ts") is None or row.get("id.orig_h") is None:
            continue
        base = {"ts": datetime.fromtimestamp(float(row["ts"]), UTC), "host": row.get("id.resp_h") or "",
                "program": "zeek-ssh", "user": None, "src_ip": row["id.orig_h"], "method": "ssh"}  # fmt: skip
        attempts, success = int(row.get("auth_attempts") or 0), row.get("auth_success")
        success = {"T": True, "F": False}.get(success, success)  # Zeek writes bools as T / F
        if success is True:
            if attempts > 1:
                events.append(
                    AuthEvent(**base, outcome="failure", reason="failed", count=attempts - 1)
                )
            events.append(AuthEvent(**base, outcome="success", reason="accepted"))
        elif success is False and attempts:
            events.append(AuthEvent(**base, outcome="failure", reason="failed", count=attempts))
    return events, chunk.bad_rows


KERBEROS_ERRORS = {  # Zeek's error_msg: what the KDC answered, as an attempt's outcome
    "KDC_ERR_PREAUTH_FAILED": ("failure", "wrong password", False),
    "KDC_ERR_C_PRINCIPAL_UNKNOWN": ("failure", "user does not exist", True),
    "KDC_ERR_CLIENT_REVOKED": ("failure", "account disabled or locked", False),
    "KDC_ERR_KEY_EXPIRED": ("failure", "password expired", False),
    "KDC_ERR_PREAUTH_REQUIRED": (None, "pre-authentication required (a normal step)", False),
    "KDC_ERR_BADOPTION": (None, "bad option (not an authentication failure)", False),
}


def parse_zeek_kerberos(data: bytes) -> tuple[list[AuthEvent], int]:
    """Kerberos AS requests seen from the network: success T/F, the KDC's error in words."""
    columns = ["ts", "id.orig_h", "id.resp_h", "request_type", "client", "success", "error_msg"]
    chunk = zeek_table(data, columns)
    events = []
    for row in chunk.table.to_pylist():
        if row.get("ts") is None or row.get("request_type") != "AS":
            continue
        user = (row.get("client") or "").split("/")[0] or None
        if user and user.endswith("$"):
            continue  # a computer account: machines ask for tickets all day; they are not people
        success = {"T": True, "F": False}.get(row.get("success"), row.get("success"))
        outcome, reason, invalid = ("success", "kerberos ticket granted", False) if success else (
            KERBEROS_ERRORS.get(row.get("error_msg") or "", ("failure", row.get("error_msg") or "failed", False)))  # fmt: skip
        if success is None and not row.get("error_msg"):
            continue  # neither a result nor an error: nothing happened that we can count
        events.append(AuthEvent(ts=datetime.fromtimestamp(float(row["ts"]), UTC),
                                host=row.get("id.resp_h") or "", program="zeek-kerberos",
                                user=user, src_ip=row["id.orig_h"], outcome=outcome,
                                method="kerberos", reason=reason, invalid_user=invalid))  # fmt: skip
    return events, chunk.bad_rows


def parse_zeek_ntlm(data: bytes) -> tuple[list[AuthEvent], int]:
    """NTLM authentications seen from the network: success T is a login, F a failure, unset
    is no result (not counted). User names are compared in lower case."""
    chunk = zeek_table(data, ["ts", "id.orig_h", "id.resp_h", "username", "domainname", "success"])
    events = []
    for row in chunk.table.to_pylist():
        success = {"T": True, "F": False}.get(row.get("success"), row.get("success"))
        if row.get("ts") is None or success is None:
            continue
        user = (row.get("username") or "").lower() or None
        if user and user.endswith("$"):
            continue  # a computer account, not a person
        events.append(AuthEvent(ts=datetime.fromtimestamp(float(row["ts"]), UTC),
                                host=row.get("id.resp_h") or "", program="zeek-ntlm", user=user,
                                src_ip=row["id.orig_h"], outcome="success" if success else "failure",
                                method="ntlm", reason="ntlm login" if success else "ntlm failed"))  # fmt: skip
    return events, chunk.bad_rows


def zeek_path(head: bytes) -> str | None:
    """The log kind a Zeek TSV header names in its #path line ('ssh', 'kerberos', ...)."""
    for line in head.splitlines():
        if line.startswith(b"#path"):
            parts = line.split(maxsplit=1)
            return parts[1].decode("utf-8", "replace").strip() if len(parts) == 2 else None
    return None
