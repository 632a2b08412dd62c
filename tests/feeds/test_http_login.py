"""The login keys every HTTP-asking source shares (feeds/http_login.py): one rule, one header."""

import base64

import pytest
from pydantic import ValidationError

from socwall.feeds.alertmanager_config import AlertmanagerConfig
from socwall.feeds.http_login import login_headers
from socwall.feeds.prometheus_config import PrometheusConfig
from socwall.feeds.queue_http_config import QueueHttpConfig

FIELDS = {"id": "id", "title": "t", "severity": "s", "created": "c"}
MINIMAL = {
    PrometheusConfig: {"type": "prometheus", "url": "http://prom:9090",
                       "metrics": {"rps": {"query": "up"}}},
    AlertmanagerConfig: {"type": "alertmanager", "url": "http://am:9093"},
    QueueHttpConfig: {"type": "queue_http", "url": "http://hive:9000/api", "fields": FIELDS},
}  # fmt: skip


@pytest.mark.parametrize("model", MINIMAL, ids=lambda m: m.__name__)
def test_password_and_token_together_are_refused(model):
    with pytest.raises(ValidationError, match="either username/password or bearer_token"):
        model(**MINIMAL[model], username="u", password="p", bearer_token="t")


@pytest.mark.parametrize("model", MINIMAL, ids=lambda m: m.__name__)
def test_basic_login_header_decodes_to_user_and_password(model):
    config = model(**MINIMAL[model], username="soc wall", password="pä:ss")
    scheme, token = login_headers(config)["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(token).decode() == "soc wall:pä:ss"


@pytest.mark.parametrize("model", MINIMAL, ids=lambda m: m.__name__)
def test_bearer_token_header_and_no_login_no_header(model):
    assert login_headers(model(**MINIMAL[model], bearer_token="s3cret")) == {
        "Authorization": "Bearer s3cret"
    }
    assert login_headers(model(**MINIMAL[model])) == {}
    assert login_headers(model(**MINIMAL[model], username="u"))["Authorization"] == (
        "Basic " + base64.b64encode(b"u:").decode())  # fmt: skip
