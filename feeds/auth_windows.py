# ruff: noqa: E501 - code tables and one rule per event id, each on one line
"""Authentication events from Windows event logs: .evtx files and their JSON exports. Pure.

Events come as exported by common tools: the raw Event/System/EventData names (evtx dumps,
Get-WinEvent), or Elastic Common Schema as winlogbeat writes it. Besides the Security log's
logons and failures: Kerberos tickets granted (4768/4769, notices: a ticket for a sprayed
account is what "success after spray" looks for), accounts renamed and computer accounts
created (4781/4741, the sAMAccountName-spoofing steps) and MSSQL failed logins (18456, in the
Application log).
"""

import io
import json
import re
from datetime import UTC, datetime

from socwall.feeds.auth_event import AuthEvent

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
        items = data["Data"]
        if all(isinstance(d, dict) and (d.get("@Name") or d.get("Name")) for d in items):
            data = {d.get("@Name") or d.get("Name"): d.get("#text") for d in items}
        else:  # unnamed values (MSSQL 18456): kept in their order
            data = {"Data": [d.get("#text") if isinstance(d, dict) else d for d in items]}
    created = system.get("TimeCreated")
    stamp = created
    if isinstance(created, dict):  # {"SystemTime"}, {"@SystemTime"} or evtx_dump's #attributes
        attributes = created.get("#attributes") or {}
        stamp = created.get("SystemTime") or created.get("@SystemTime") or attributes.get("SystemTime")
    return _number(system.get("EventID")), stamp, system.get("Computer"), data


def windows_event(record: dict, builtin_accounts: bool = False) -> AuthEvent | None:
    """One event as an AuthEvent; None for events and answers that are not attempts."""
    code, stamp, host, data = _fields(record)
    if code not in READ or not stamp:
        return None
    ts = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    ts = (ts if ts.tzinfo else ts.replace(tzinfo=UTC)).astimezone(UTC)
    if code == 18456:
        return _mssql(ts, host, data)
    user = data.get("TargetUserName") or data.get("SubjectUserName")
    ip = str(data.get("IpAddress") or "").removeprefix("::ffff:")
    base = {"ts": ts, "host": host or "", "program": f"windows-{code}", "user": user,
            "src_ip": None if ip in NO_ADDRESS else ip}
    if code in (4741, 4781):  # the actor is the user; the account it made or renamed is the object
        return _account_change(code, base, data)
    if user and (user.endswith("$") or (BUILTIN.match(user) and not builtin_accounts)):
        return None  # computer and built-in accounts log on all day; they are not people
    return READ[code](base, data, user)


def _lockout(base, data, user):
    return AuthEvent(**base, method="lockout", reason="account locked out")


def _tgt(base, data, user):
    failure = _number(data.get("Status"))
    if not failure:  # a ticket granted: a notice (the logon on the target host is the login)
        return AuthEvent(**{**base, "user": _account(user)}, method="kerberos ticket", reason="kerberos ticket granted")
    return AuthEvent(**base, outcome="failure", method="kerberos", invalid_user=failure == 0x6,
                     reason=KERBEROS.get(failure, f"kerberos failure 0x{failure:x}"))


def _service_ticket(base, data, user):
    if _number(data.get("Status")):
        return None  # a service ticket refused: no password was tried
    service = data.get("ServiceName") or "a service"
    return AuthEvent(**{**base, "user": _account(user)}, method="kerberos service ticket", reason=f"service ticket for {service}")


def _logon(base, data, user):
    kind = LOGON_TYPES.get(_number(data.get("LogonType")), "logon")
    return AuthEvent(**base, outcome="success", method=kind, reason="logon")


def _failed_logon(base, data, user):
    status = _number(data.get("SubStatus")) or _number(data.get("Status"))
    if status == 0xC000006D:
        status = _number(data.get("Status"))
    reason = NTSTATUS.get(status, f"failed logon ({data.get('SubStatus') or data.get('Status')})")
    return AuthEvent(**base, outcome="failure", method=LOGON_TYPES.get(_number(data.get("LogonType")), "logon"),
                     reason=reason, invalid_user=status == 0xC0000064)


def _explicit(base, data, user):
    actor = data.get("SubjectUserName") or user  # who typed someone else's credentials
    return AuthEvent(**{**base, "user": actor}, method="explicit credentials",
                     reason=f"explicit credentials of {data.get('TargetUserName')}")


def _privileges(base, data, user):
    return AuthEvent(**{**base, "user": data.get("SubjectUserName") or user}, method="special privileges",
                     reason="special privileges assigned", privileged=True)


def _kerberos_preauth(base, data, user):
    failure = _number(data.get("Status") or data.get("FailureCode"))
    if failure == 0x19 or failure is None:
        return None  # pre-authentication required: the normal first answer of Kerberos
    return AuthEvent(**base, outcome="failure", method="kerberos",
                     reason=KERBEROS.get(failure, f"kerberos failure 0x{failure:x}"), invalid_user=failure == 0x6)


def _ntlm(base, data, user):
    status = _number(data.get("Status"))  # 4776: NTLM credential validation by a domain controller
    if not status:
        return None  # validated: the logon event that follows counts
    return AuthEvent(**{**base, "host": data.get("Workstation") or base["host"]}, outcome="failure", method="ntlm",
                     reason=NTSTATUS.get(status, f"ntlm failure 0x{status:x}"), invalid_user=status == 0xC0000064)


def _account_change(code: int, base: dict, data: dict) -> AuthEvent | None:
    """4741 a computer account created, 4781 an account renamed: notices with the actor as user
    (sAMAccountName spoofing creates a computer account, then renames it to a DC's name)."""
    actor = data.get("SubjectUserName")
    if not actor or BUILTIN.match(actor) or actor.endswith("$"):
        return None  # the system or a machine did it: routine
    if code == 4741:
        return AuthEvent(**{**base, "user": actor}, method="computer account created",
                         reason=f"created computer account {data.get('TargetUserName') or '?'}")
    old, new = data.get("OldTargetUserName") or "?", data.get("NewTargetUserName") or "?"
    note = "; without $ it looks like a user or a host name" if old.endswith("$") and not new.endswith("$") else ""
    return AuthEvent(**{**base, "user": actor}, method="account renamed", reason=f"renamed {old} to {new}{note}")


MSSQL_REASONS = {  # the start of 18456's "Reason:" text, in words
    "Password did not match": "wrong password", "Could not find a login": "user does not exist",
    "Attempting to use an NT account name with SQL Server Authentication": "a Windows account name used with SQL authentication",
    "An error occurred while evaluating the password": "password could not be checked",
    "The account is disabled": "account disabled", "Login is disabled": "account disabled",
}
CLIENT = re.compile(r"\[CLIENT: ?([^\]]+)\]")


def _mssql(ts: datetime, host: str | None, data: dict) -> AuthEvent | None:
    """MSSQL 18456 "Login failed for user": Data is [login, " Reason: ...", " [CLIENT: ip]"]."""
    values = data.get("Data")
    values = values.get("#text") if isinstance(values, dict) else values
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not values:
        return None
    text = " ".join(str(v) for v in values[1:])
    said = text.split("Reason:", 1)[-1].strip()
    reason = next((words for start, words in MSSQL_REASONS.items() if said.startswith(start)), None)
    client = CLIENT.search(text)
    ip = client.group(1).strip() if client else ""
    return AuthEvent(ts=ts, host=host or "", program="mssql-18456", user=str(values[0]).strip() or None,
                     src_ip=None if ip in NO_ADDRESS or ip == "<local machine>" else ip, outcome="failure",
                     method="mssql", reason=reason or f"mssql login failed ({said[:60]})",
                     invalid_user=reason == "user does not exist")


def _account(user: str | None) -> str | None:
    """'alice@CORP.EXAMPLE' (4769's form) -> 'alice', as the other events name her."""
    return user.split("@", 1)[0] if user else user


READ = {4624: _logon, 4625: _failed_logon, 4648: _explicit, 4672: _privileges, 4740: _lockout,
        4741: None, 4768: _tgt, 4769: _service_ticket, 4771: _kerberos_preauth, 4776: _ntlm,
        4781: None, 18456: None}  # None: handled before the account filter


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
