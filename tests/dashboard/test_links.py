"""`links:`: URL templates per entity kind, checked at load; identifiers become desk links."""

import pytest

from socwall.dashboard.config import ConfigError, parse_config
from socwall.widgets.context import View
from socwall.widgets.entity import entity, link_for, marked
from tests.conftest import events_config

SIEM = "https://siem.example/app/discover#/?query=host.ip:{ip}"


def test_templates_are_checked_with_the_key_named(tmp_path):
    raw = events_config(tmp_path, "redis://127.0.0.1:6379/0", "x")
    config = parse_config(
        {**raw, "links": {"host": SIEM, "cve": "https://nvd.nist.gov/vuln/detail/{cve}"}}
    )
    assert config.links.templates() == {
        "host": SIEM,
        "cve": "https://nvd.nist.gov/vuln/detail/{cve}",
    }
    for bad, words in (
        ("javascript:alert(1)//{user}", "http:// or https://"),
        ("https://siem/?q={ip}", "placeholder(s) {user}"),
    ):
        with pytest.raises(ConfigError, match="links.user") as error:
            parse_config({**raw, "links": {"user": bad}})
        assert words in str(error.value)


def test_links_quote_the_value_and_need_every_placeholder():
    desk = View(
        links={"host": "https://s/?q=host.name:{host} OR ip:{ip}", "user": "https://s/u/{user}"},
        desk=True,
    )
    assert link_for(desk, "user", user="a b&c") == "https://s/u/a%20b%26c"
    assert link_for(desk, "host", ip="10.0.1.66") is None  # no name: no half-filled query
    assert link_for(desk, "host", ip="10.0.1.66", host="hr-files-02").endswith(
        "host.name:hr-files-02 OR ip:10.0.1.66"
    )
    assert link_for(View(), "user", user="x") is None  # a kiosk has no links


def test_an_entity_is_a_link_at_the_desk_and_text_on_the_wall():
    desk = View(links={"user": "https://s/u/{user}"}, desk=True)
    link = entity("cmeyer", "user", desk, "suspect-user")
    assert (link.href, link.className, link.target) == (
        "https://s/u/cmeyer",
        "ident suspect-user entity",
        "_blank",
    )
    text = entity("cmeyer", "user", View(), "suspect-user")
    assert type(text).__name__ == "Span" and text.className == "ident suspect-user"


def test_ticket_ids_and_addresses_are_kept_on_one_line():
    parts = marked("in maintenance, CHG-1042, 36 min left; 23.149.115.148")
    assert [p if isinstance(p, str) else ("id", p.children) for p in parts] == [
        "in maintenance, ",
        ("id", "CHG-1042"),
        ", 36 min left; ",
        ("id", "23.149.115.148"),
    ]
