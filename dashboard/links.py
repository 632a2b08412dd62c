"""`links:` in config.yaml: where a host, a user or a CVE id leads at the desk (never a kiosk)."""

import string

from pydantic import Field, field_validator

from socwall.types import Strict

PLACEHOLDERS = {"host": {"ip", "host"}, "user": {"user"}, "cve": {"cve"}}


class LinksConfig(Strict):
    """URL templates per entity kind; the value is URL-quoted into its placeholder."""

    host: str | None = Field(
        None, description="a host or address, e.g. https://siem.example/app/discover#/?query="
        "host.ip:{ip} ({ip}: its address, {host}: its name)")  # fmt: skip
    user: str | None = Field(None, description="a user name: {user}")
    cve: str | None = Field(
        None, description="a CVE id: {cve}, e.g. https://nvd.nist.gov/vuln/detail/{cve}"
    )

    @field_validator("host", "user", "cve")
    @classmethod
    def _a_web_address(cls, template: str | None, info) -> str | None:
        """http(s) only (a javascript: link must never reach a page), known placeholders only."""
        if template is None:
            return None
        if not template.startswith(("https://", "http://")):
            raise ValueError("must be an http:// or https:// URL template")
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        except ValueError as error:
            raise ValueError(f"not a URL template: {error}") from None
        allowed = PLACEHOLDERS[info.field_name]
        if not names or not names <= allowed:
            known = ", ".join("{" + n + "}" for n in sorted(allowed))
            raise ValueError(f"use the placeholder(s) {known} where the value goes")
        return template

    def templates(self) -> dict[str, str]:
        """Kind -> template, for the kinds that have one."""
        return {kind: t for kind in PLACEHOLDERS if (t := getattr(self, kind))}
