"""Authentication events from Windows Security logs (JSON lines) and Zeek ssh.log. Pure functions.

Windows events come as exported by common tools: the raw Event/System/EventData names
(evtx dumps, Get-WinEvent), or Elastic Common Schema as winlogbeat writes it.
"""

import io
import json
import re
from datetime import UTC, datetime

from socwall.feeds.auth_readers import AuthEvent
from socwall.feeds.flow_readers import zeek_table

LOGON_TYPES = {2: "interactive", 3: "network", 4: "batch", 5: "service", 7: "unlock",
               8: "network cleartext", 9: "new credentials", 10: "remote interactive", 11: "cached"}  # fmt: skip
NTSTATUS = {  # 4625 / 4776 status and sub-status codes, in words
    0xC0000064: "user does not exist", 0xC000006A: "wrong password", 0xC000006D: "bad user name or password",
    0xC000006F: "outside allowed hours", 0xC0000070: "workstation not allowed", 0xC0000071: "password expired",
    0xC0000072: "account disabled", 0xC0000193: "account expired", 0xC0000224: "must change password",
    0xC0000234: "account locked out", 0xC0000133: "clock out of sync", 0xC000015B: "logon type not granted",
}  # fmt: skip
KERBEROS = {  # 4771 failure codes; 0x19 (pre-authentication required) is a normal protocol step
    0x6: "user does not exist", 0x12: "account disabled or locked", 0x17: "password expired",
    0x18: "wrong password", 0x25: "clock out of sync",
}  # fmt: skip
NO_ADDRESS = {"", "-", "::1", "127.0.0.1"}


BUILTIN = re.compile(r"^(SYSTEM|LOCAL SERVICE|NETWORK SERVICE|ANONYMOUS LOGON|DWM-\d+|UMFD-\d+|-)$",
                     re.IGNORECASE)  # fmt: skip


def _number(value) -> int | None:
    """'0xC000006A', '0x18', 4625, '4625' -> int; anything else -> None."""
    if isinstance(value, dict):
        value = value.get("#text") or value.get("value")
    try:
        return int(str(value), 16) if str(value).lower().startswith("0x") else int(value)
    except (TypeError, ValueError):
        return None


def _fields(record: dict) -> tuple[int | None, str | None, str | None, dict] | None:
    """(event id, ISO time, computer, event data) from the raw or the ECS form."""
    if "Event" in record:
        record = record["Event"]
    if "winlog" in record:  # ECS, as winlogbeat writes it
        winlog = record["winlog"]
        data = dict(winlog.get("event_data") or {})
        code = _number(winlog.get("event_id") or (record.get("event") or {}).get("code"))
        host = (record.get("host") or {}).get("name") or winlog.get("computer_name")
        return code, record.get("@timestamp"), host, data
    system = record.get("System", record)
    data = dict(record.get("EventData") or {})
    if isinstance(data.get("Data"), list):  # [{"@Name": ..., "#text": ...}, ...]
        data = {d.get("@Name") or d.get("Name"): d.get("#text") for d in data["Data"]}
    created = system.get("TimeCreated")
    stamp = created
    if isinstance(created, dict):  # {"SystemTime"}, {"@SystemTime"} or evtx_dump's #attributes
        attributes = created.get("#attributes") or {}
        stamp = created.get("SystemTime") or created.get("@SystemTime") or attributes.get("SystemTime")
    return _number(system.get("EventID")), stamp, system.get("Computer"), data


def windows_event(record: dict, builtin_accounts: bool = False) -> AuthEvent | None:
    """One Security event as an AuthEvent; None for events and answers that are not attempts."""
    code, stamp, host, data = _fields(record)
    if code not in (4624, 4625, 4648, 4672, 4740, 4768, 4771, 4776) or not stamp:
        return None
    ts = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    ts = (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(UTC)
    user = data.get("TargetUserName") or data.get("SubjectUserName")
    ip = str(data.get("IpAddress") or "").removeprefix("::ffff:")
    base = {"ts": ts, "host": host or "", "program": f"windows-{code}", "user": user,
            "src_ip": None if ip in NO_ADDRESS else ip}  # fmt: skip
    if user and (user.endswith("$") or (BUILTIN.match(user) and not builtin_accounts)):
        return None  # computer and built-in accounts log on all day; they are not people
    if code == 4740:
        return AuthEvent(**base, method="lockout", reason="account locked out")
    if code == 4768:
        failure = _number(data.get("Status"))
        if not failure:
            return None  # a ticket granted: the logon event on the target host counts
        return AuthEvent(**base, outcome="failure", method="kerberos", invalid_user=failure == 0x6,
                         reason=KERBEROS.get(failure, f"kerberos failure 0x{failure:x}"))  # fmt: skip
    if code == 4624:
        kind = LOGON_TYPES.get(_number(data.get("LogonType")), "logon")
        return AuthEvent(**base, outcome="success", method=kind, reason="logon")
    if code == 4625:
        status = _number(data.get("SubStatus")) or _number(data.get("Status"))
        if status == 0xC000006D:
            status = _number(data.get("Status"))
        reason = NTSTATUS.get(
            status, f"failed logon ({data.get('SubStatus') or data.get('Status')})"
        )
        return AuthEvent(**base, outcome="failure", method=LOGON_TYPES.get(_number(data.get("LogonType")), "logon"),
                         reason=reason, invalid_user=status == 0xC0000064)  # fmt: skip
    if code == 4648:
        actor = data.get("SubjectUserName") or user  # who typed someone else's credentials
        return AuthEvent(
            **{**base, "user": actor},
            method="explicit credentials",
            reason=f"explicit credentials of {data.get('TargetUserName')}",
        )
    if code == 4672:
        return AuthEvent(**{**base, "user": data.get("SubjectUserName") or user}, method="special privileges",
                         reason="special privileges assigned", privileged=True)  # fmt: skip
    if code == 4771:
        failure = _number(data.get("Status") or data.get("FailureCode"))
        if failure == 0x19 or failure is None:
            return None  # pre-authentication required: the normal first answer of Kerberos
        return AuthEvent(**base, outcome="failure", method="kerberos",
                         reason=KERBEROS.get(failure, f"kerberos failure 0x{failure:x}"), invalid_user=failure == 0x6)  # fmt: skip
    status = _number(data.get("Status"))  # 4776: NTLM credential validation by a domain controller
    if not status:
        return None  # validated: the logon event that follows counts
    return AuthEvent(**{**base, "host": data.get("Workstation") or base["host"]}, outcome="failure", method="ntlm",
                     reason=NTSTATUS.get(status, f"ntlm failure 0x{status:x}"), invalid_user=status == 0xC0000064)  # fmt: skip


def parse_windows_json(data: bytes, builtin_accounts: bool = False) -> tuple[list[AuthEvent], int]:
    """Events of Windows Security JSON lines, and how many lines could not be read."""
    events, bad = [], 0
    for line in bytes(data).decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        try:
            event = windows_event(json.loads(line), builtin_accounts)
        except (ValueError, TypeError, AttributeError):
            bad += 1
            continue
        if event is not None:
            events.append(event)
    return events, bad


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


def parse_evtx(data: bytes, builtin_accounts: bool = False) -> tuple[list[AuthEvent], int]:
    """A Windows .evtx file, read with pyevtx-rs (`evtx`): the same records evtx_dump writes."""
    events, bad, _, _ = parse_evtx_after(data, 0, builtin_accounts)
    return events, bad


def parse_evtx_after(data: bytes, after: int, builtin_accounts: bool = False) -> tuple:
    """(events, unreadable records, records read, last record id) of the records of an .evtx
    file numbered past `after`: a file that grew is read whole again, its old records are not
    counted again."""
    from evtx import PyEvtxParser

    events, bad, records, last = [], 0, 0, after
    try:
        for record in PyEvtxParser(io.BytesIO(bytes(data))).records_json():
            number = int(record.get("event_record_id") or 0)
            if number and number <= after:
                continue
            records += 1
            last = max(last, number)
            try:
                event = windows_event(json.loads(record["data"]), builtin_accounts)
            except (ValueError, TypeError, AttributeError, KeyError):
                bad += 1
                continue
            if event is not None:
                events.append(event)
    except (RuntimeError, OSError, ValueError) as error:
        raise ValueError(f"not a readable .evtx file: {error}") from None
    return events, bad, records, last
