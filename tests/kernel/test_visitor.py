"""Pseudonyms for visitor mode: stable, keyed, whole words only, numbers untouched."""

import json

from socwall.visitor import Pseudonyms, addresses_in

SECRET = b"a deployment's key, 32 bytes long"


def test_the_same_name_gives_the_same_pseudonym_and_another_key_another():
    one, again, other = Pseudonyms(SECRET), Pseudonyms(SECRET), Pseudonyms(b"another key")
    assert one.pseudonym("host", "db-02") == again.pseudonym("host", "DB-02")
    assert one.pseudonym("host", "db-02") != other.pseudonym("host", "db-02")
    assert one.pseudonym("host", "db-02") != one.pseudonym("host", "db-01")
    assert one.pseudonym("user", "cmeyer").startswith("user-")
    assert len(one.pseudonym("host", "db-02")) == len("host-7f3a")


def test_internal_addresses_become_their_hosts_pseudonym_outside_ones_their_16():
    mask = Pseudonyms(SECRET, hosts=["hr-files-02"], aliases={"10.0.1.66": "hr-files-02"})
    text = mask.text("hr-files-02 (10.0.1.66) NEW at #1, most to 23.149.115.148 (1.4 GB)")
    host = mask.pseudonym("host", "hr-files-02")
    assert text == f"{host} ({host}) NEW at #1, most to 23.149.x.x (1.4 GB)"
    assert mask.address("192.168.7.1") == mask.pseudonym("host", "192.168.7.1")
    assert mask.address("2001:db8:85a3::8a2e:370:7334") == "2001:0db8:…/32"
    assert mask.address("fd12:3456::1").startswith("host-")
    assert addresses_in(mask.text("from 198.51.100.77 and 2a00:1450:4001:82b::200e")) == []


def test_names_are_masked_as_whole_words_only_and_times_and_numbers_stay():
    mask = Pseudonyms(SECRET, hosts=["db-02", "git"], users=["cmeyer"])
    said = mask.text("CHG-1042 failover db-02 at 08:30:00, db-021 and git-01 untouched; cmeyer: "
                     "60 failed, mail cmeyer@example.org")  # fmt: skip
    assert "db-02 " not in said and mask.pseudonym("host", "db-02") in said
    assert "db-021" in said and "git-01" in said and "08:30:00" in said and "60 failed" in said
    assert "cmeyer" not in said and "example.org" not in said


def test_a_payload_keeps_its_shape_numbers_and_verdicts_and_learns_names_under_host_keys():
    payload = {"facts": [{"kind": "down", "severity": "alarm", "row": "db-02 postgres",
                          "text": "db-02 postgres down for 47 min", "hosts": ["db-02"]}],
               "rows": [{"user": "dnovak", "why": "dnovak: logins on 7 hosts", "score": 7.5,
                         "alert": True, "peer": "64.25.86.184"}],
               "by_host": {"db-02": 3}}  # fmt: skip
    masked = Pseudonyms(SECRET).payload(payload)
    text = json.dumps(masked)
    assert "db-02" not in text and "dnovak" not in text and "64.25.86.184" not in text
    assert masked["facts"][0]["severity"] == "alarm" and masked["rows"][0]["score"] == 7.5
    assert masked["rows"][0]["alert"] is True and list(masked["by_host"].values()) == [3]
    assert masked["facts"][0]["row"].endswith(" postgres")
    assert masked["rows"][0]["peer"] == "64.25.x.x"


def test_strings_that_only_look_like_addresses_stay():
    mask = Pseudonyms(SECRET)
    for text in ("2026-03-30T08:30:00+00:00", "10:30", "v1.2.3", "aa:bb:cc:dd:ee:ff",
                 "li::before", "::"):
        assert mask.text(text) == text


def test_a_chat_lines_author_is_a_user_wherever_the_name_appears_again():
    payload = {"lines": [{"where": "IRC #security", "author": "darkfox",
                          "text": "darkfox: CVE-2025-53770 exploited in the wild"}]}  # fmt: skip
    masked = Pseudonyms(SECRET).payload(payload)
    line = masked["lines"][0]
    assert line["author"] == Pseudonyms(SECRET).pseudonym("user", "darkfox")
    assert "darkfox" not in json.dumps(masked) and "CVE-2025-53770" in line["text"]
