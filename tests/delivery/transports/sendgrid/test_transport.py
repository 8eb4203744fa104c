"""The SendGrid transport against the local SendGrid double (tests/fakes/sendgrid_server.py)."""

from __future__ import annotations

import dataclasses
import email.utils
import json
import time

import pytest

from newsletter.content.rendering.compose import Batch
from newsletter.delivery.transports.sendgrid.events import DELIVERY_ARG, TEST_ARG
from newsletter.delivery.transports.sendgrid.transport import SendGridMailer, _reset_wait
from newsletter.errors import AccountError, PermanentDeliveryError, TransientDeliveryError
from tests.delivery.transports.batches import SENDER, VARIANT, batch, person, signed_url
from tests.fakes.sendgrid_server import FakeSendGrid


def mailer(fake: FakeSendGrid, **kw: object) -> SendGridMailer:
    return SendGridMailer("SG.test-key", host=fake.url, timeout=kw.pop("timeout", 2.0), **kw)  # type: ignore[arg-type]


def test_one_request_per_batch_one_personalization_per_member(fake_sendgrid: FakeSendGrid) -> None:
    result = mailer(fake_sendgrid).send(batch(3))
    assert fake_sendgrid.request_count == 1
    body = fake_sendgrid.requests[0].body
    assert result.provider_id == fake_sendgrid.requests[0].message_id
    people = body["personalizations"]
    assert [p["to"][0]["email"] for p in people] == [
        f"member{i}@klaster-nis.example" for i in (1, 2, 3)
    ]
    assert all(len(p["to"]) == 1 for p in people)  # nobody sees anyone else
    first = people[0]
    assert first["custom_args"] == {DELIVERY_ARG: "1"}
    # Campaign and step once for the whole request; never personal data in custom args.
    assert body["custom_args"] == {"nl_campaign": "days-of-clusters-2015", "nl_step": "main"}
    assert "Јелена" not in json.dumps([p["custom_args"] for p in people] + [body["custom_args"]])
    # One subject at the top level; personalizations repeat it only when it differs.
    assert body["subject"] == "Дани кластера 2015 у Брашову"
    assert all("subject" not in p for p in people)
    assert first["headers"]["List-Unsubscribe"] == "<https://news.clusterhouse.example/u/tok1>"
    assert first["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # Nothing in these values needs HTML escaping: one substitution per field, and this
    # request's HTML names the plain placeholder (test_sendgrid_body.py).
    assert first["substitutions"] == {
        "[[nl:first_name]]": "Јелена",
        "[[nl:unsubscribe_url]]": "https://news.clusterhouse.example/u/tok1",
    }
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert body["categories"] == ["days-of-clusters-2015"]
    assert body["tracking_settings"]["subscription_tracking"]["enable"] is False
    assert "mail_settings" not in body
    headers = fake_sendgrid.requests[0].headers
    assert headers["Authorization"] == "Bearer SG.test-key"
    assert headers["Content-Type"] == "application/json; charset=utf-8"


def test_long_unsubscribe_links_travel_as_literal_header_values(
    fake_sendgrid: FakeSendGrid,
) -> None:
    """JSON has no header folding, so the value SendGrid receives is the one it writes into
    the message: the literal ``<https://...>`` of RFC 2369 / RFC 8058, whatever its length."""
    mailer(fake_sendgrid).send(batch(3, long_urls=True))
    people = fake_sendgrid.requests[0].body["personalizations"]
    for i, p in enumerate(people, start=1):
        assert len(signed_url(i)) > 150
        assert p["headers"] == {
            "List-Unsubscribe": f"<{signed_url(i)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "List-Id": '"Cluster House - events" <events.clusterhouse.example>',
        }


def test_sandbox_and_unsubscribe_group(fake_sendgrid: FakeSendGrid) -> None:
    m = mailer(fake_sendgrid, sandbox_mode=True, unsubscribe_groups={"events": 42})
    m.send(batch(1))
    body = fake_sendgrid.requests[0].body
    assert body["mail_settings"] == {"sandbox_mode": {"enable": True}}
    assert body["asm"] == {"group_id": 42}


def test_limits_are_enforced_before_sending(fake_sendgrid: FakeSendGrid) -> None:
    m = mailer(fake_sendgrid)
    with pytest.raises(PermanentDeliveryError, match="1 to 1000"):
        m.send(batch(1001))
    twice = Batch(VARIANT, SENDER, (person(1), person(1)))
    with pytest.raises(PermanentDeliveryError, match="twice"):
        m.send(twice)
    p = person(1)
    bad = Batch(VARIANT, SENDER, (type(p)(1, p.to_email, "", {}, (("To", "x"),)),))
    with pytest.raises(PermanentDeliveryError, match="reserved"):
        m.send(bad)
    assert fake_sendgrid.attempt_count == 0


def test_rate_limit_is_transient_and_honours_reset(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.fail_next(429, reset_in=30)
    with pytest.raises(TransientDeliveryError) as info:
        mailer(fake_sendgrid).send(batch(2))
    assert info.value.retry_after is not None and 25 <= info.value.retry_after <= 31
    assert info.value.maybe_sent is False


def test_server_error_is_transient(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.fail_next(503)
    with pytest.raises(TransientDeliveryError, match="503"):
        mailer(fake_sendgrid).send(batch(1))


def test_client_error_is_permanent_and_names_the_field(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.fail_next(
        400, body={"errors": [{"message": "bad from", "field": "from.email", "help": None}]}
    )
    with pytest.raises(PermanentDeliveryError, match=r"from\.email: bad from"):
        mailer(fake_sendgrid).send(batch(1))


def test_timeout_means_maybe_sent(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.delay_next(1.5)
    with pytest.raises(TransientDeliveryError) as info:
        mailer(fake_sendgrid, timeout=0.3).send(batch(1))
    assert info.value.maybe_sent is True
    assert fake_sendgrid.request_count == 1  # the provider did get it: hence "unknown"


def test_dropped_connection_after_accept_means_maybe_sent(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.drop_after_accept_next()
    with pytest.raises(TransientDeliveryError) as info:
        mailer(fake_sendgrid).send(batch(1))
    assert info.value.maybe_sent is True


def test_connection_refused_is_safe_to_retry() -> None:
    with FakeSendGrid() as fake:
        url = fake.url
    m = SendGridMailer("SG.k", host=url, timeout=1.0)
    with pytest.raises(TransientDeliveryError) as info:
        m.send(batch(1))
    assert info.value.maybe_sent is False


def test_personalized_subjects_go_per_personalization(fake_sendgrid: FakeSendGrid) -> None:
    variant = dataclasses.replace(VARIANT, subject="[[nl:first_name]], Days of Clusters 2015")
    mailer(fake_sendgrid).send(Batch(variant, SENDER, (person(1, "Ana"), person(2, "Ivo"))))
    people = fake_sendgrid.requests[0].body["personalizations"]
    assert [p["subject"] for p in people] == [
        "Ana, Days of Clusters 2015",
        "Ivo, Days of Clusters 2015",
    ]


def test_test_sends_carry_a_marker_instead_of_a_delivery_id(fake_sendgrid: FakeSendGrid) -> None:
    p = dataclasses.replace(person(1), delivery_id=None)
    mailer(fake_sendgrid).send(Batch(VARIANT, SENDER, (p,)))
    assert fake_sendgrid.requests[0].body["personalizations"][0]["custom_args"] == {TEST_ARG: "1"}


def test_category_limits(fake_sendgrid: FakeSendGrid) -> None:
    many = dataclasses.replace(VARIANT, categories=tuple(f"c{i}" for i in range(11)))
    with pytest.raises(PermanentDeliveryError, match="10 categories"):
        mailer(fake_sendgrid).send(Batch(many, SENDER, (person(1),)))
    long = dataclasses.replace(VARIANT, categories=("x" * 256,))
    with pytest.raises(PermanentDeliveryError, match="255"):
        mailer(fake_sendgrid).send(Batch(long, SENDER, (person(1),)))
    assert fake_sendgrid.attempt_count == 0


def test_a_full_request_of_1000_passes_the_official_schema(fake_sendgrid: FakeSendGrid) -> None:
    result = mailer(fake_sendgrid, timeout=10.0).send(batch(1000))
    assert result.provider_id is not None
    assert len(fake_sendgrid.recipients()) == 1000


@pytest.mark.parametrize("status", [401, 403])
def test_refused_key_is_an_account_error(fake_sendgrid: FakeSendGrid, status: int) -> None:
    fake_sendgrid.fail_next(status, body={"errors": [{"message": "denied", "field": None}]})
    with pytest.raises(AccountError, match="SENDGRID_API_KEY"):
        mailer(fake_sendgrid).send(batch(1))


def test_a_wrong_key_meets_the_real_check() -> None:
    with FakeSendGrid(api_key="SG.right") as fake, pytest.raises(AccountError):
        SendGridMailer("SG.wrong", host=fake.url, timeout=2.0).send(batch(1))


def test_429_without_reset_leaves_the_wait_to_the_sender(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.fail_next(429)
    with pytest.raises(TransientDeliveryError) as info:
        mailer(fake_sendgrid).send(batch(1))
    assert info.value.throttled and info.value.retry_after is None


def test_a_gateway_5xx_may_hide_an_accepted_request(fake_sendgrid: FakeSendGrid) -> None:
    fake_sendgrid.fail_next(502, body="<html>Bad Gateway</html>")
    with pytest.raises(TransientDeliveryError) as info:
        mailer(fake_sendgrid).send(batch(1))
    assert info.value.maybe_sent is True
    fake_sendgrid.fail_next(500)  # SendGrid's own error body: it did not take the request
    with pytest.raises(TransientDeliveryError) as info:
        mailer(fake_sendgrid).send(batch(1))
    assert info.value.maybe_sent is False


@pytest.mark.parametrize(
    ("headers", "low", "high"),
    [
        ({"Retry-After": "120"}, 120, 120),  # RFC 9110 §10.2.3 delta-seconds
        ({"Retry-After": " 0 "}, 0, 0),
        ({"Retry-After": "in a while"}, None, None),  # not a number, not a date: ignored
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0, 0),  # a date already past
        ({"X-RateLimit-Reset": "not-a-time"}, None, None),
        ({}, None, None),
    ],
)
def test_the_wait_a_429_asks_for(
    headers: dict[str, str], low: float | None, high: float | None
) -> None:
    wait = _reset_wait(headers)
    if low is None or high is None:
        assert wait is None
    else:
        assert wait is not None and low <= wait <= high


def test_a_retry_after_date_and_a_reset_time_honour_the_later() -> None:
    now = time.time()
    later = email.utils.formatdate(now + 90, usegmt=True)
    wait = _reset_wait({"Retry-After": later, "X-RateLimit-Reset": str(int(now + 30))})
    assert wait is not None and 88 <= wait <= 90
    wait = _reset_wait({"Retry-After": "5", "X-RateLimit-Reset": str(int(now + 30))})
    assert wait is not None and 28 <= wait <= 30
