"""Webhook signing (the Standard Webhooks test vector), the retry schedule, and which
addresses outbound requests may reach."""

from __future__ import annotations

import ipaddress
import itertools
from datetime import UTC, datetime

import pytest

from twinstudio.domain.network import AllowList, address_problem, forbidden_reason, url_problem
from twinstudio.domain.webhooks import (
    RETRY_SCHEDULE,
    SignatureError,
    WebhookMessage,
    headers_for,
    new_secret,
    next_attempt_delay,
    sign,
    verify,
)

# From the Standard Webhooks specification's reference libraries (their test suite).
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
MSG_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
STAMP = 1614265330
PAYLOAD = b'{"test": 2432232314}'
EXPECTED = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_signature_matches_the_standard_webhooks_test_vector():
    assert sign(SECRET, MSG_ID, STAMP, PAYLOAD) == EXPECTED


def test_verify_accepts_the_signed_message_and_refuses_changes_and_old_ones():
    headers = headers_for(SECRET, MSG_ID, STAMP, PAYLOAD)
    verify(SECRET, headers, PAYLOAD, now=STAMP + 10)
    with pytest.raises(SignatureError, match="no signature matches"):
        verify(SECRET, headers, PAYLOAD.replace(b"4", b"5"), now=STAMP)
    with pytest.raises(SignatureError, match="no signature matches"):
        verify(new_secret(), headers, PAYLOAD, now=STAMP)
    with pytest.raises(SignatureError, match="more than 300 s"):
        verify(SECRET, headers, PAYLOAD, now=STAMP + 301)
    with pytest.raises(SignatureError, match="are needed"):
        verify(SECRET, {"webhook-id": MSG_ID}, PAYLOAD, now=STAMP)
    rotated = {**headers, "webhook-signature": f"v1,AAAA {EXPECTED}"}  # two secrets
    verify(SECRET, rotated, PAYLOAD, now=STAMP)


def test_a_secret_is_whsec_and_base64_and_each_is_new():
    a, b = new_secret(), new_secret()
    assert a.startswith("whsec_") and a != b
    with pytest.raises(ValueError, match="starts with"):
        sign("secret", MSG_ID, STAMP, PAYLOAD)


def test_the_body_is_the_same_bytes_on_every_attempt():
    message = WebhookMessage(organisation_id="org_1", type="asset.approved",
                             data={"asset_id": "ast_1"},
                             created_at=datetime(2026, 6, 1, tzinfo=UTC))
    assert message.body() == message.body()
    assert message.body() == (b'{"data":{"asset_id":"ast_1"},"timestamp":'
                              b'"2026-06-01T00:00:00+00:00","type":"asset.approved"}')


def test_retries_back_off_for_about_a_day_then_stop():
    delays = [next_attempt_delay(n) for n in range(1, len(RETRY_SCHEDULE) + 2)]
    assert delays[:-1] == list(RETRY_SCHEDULE) and delays[-1] is None
    assert all(b >= a for a, b in itertools.pairwise(RETRY_SCHEDULE))
    assert 20 * 3600 <= sum(RETRY_SCHEDULE) <= 30 * 3600


@pytest.mark.parametrize("address, problem", [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.0.0.1", "private"),
    ("172.16.5.4", "private"), ("192.168.0.10", "private"), ("169.254.169.254", "link-local"),
    ("fe80::1", "link-local"), ("fc00::1", "private"), ("0.0.0.0", "unspecified"),
    ("224.0.0.1", "multicast"), ("100.64.1.1", "carrier-grade NAT"),
    ("::ffff:192.168.1.1", "private"), ("93.184.215.14", None), ("2606:4700::1", None),
])
def test_address_rules(address, problem):
    assert address_problem(ipaddress.ip_address(address)) == problem


def test_the_allow_list_names_hosts_addresses_and_networks():
    allow = AllowList.parse(["hooks.internal", "127.0.0.1", "10.2.0.0/16", " "])
    private = ipaddress.ip_address("10.2.3.4")
    assert forbidden_reason("x", [private], allow) is None
    assert forbidden_reason("hooks.internal", [ipaddress.ip_address("10.9.9.9")], allow) is None
    assert "a private address" in forbidden_reason("y", [ipaddress.ip_address("10.3.0.1")],
                                                   allow)
    # one private answer among public ones is enough to refuse
    mixed = [ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("192.168.1.1")]
    assert "192.168.1.1" in forbidden_reason("z", mixed, AllowList())
    with pytest.raises(ValueError, match="not an address or a network"):
        AllowList.parse(["10.0.0.0/33"])


@pytest.mark.parametrize("url, part", [
    ("ftp://a.example.com/", "must start with https://"), ("https:///x", "no host"),
    ("https://u:p@a.example.com/", "user name or password"),
    ("https://a.example.com/#f", "fragment"), ("https://a.example.com/a b", "spaces"),
    ("https://a.example.com:99999/", "cannot be read"), ("x" * 2001, "more than 2000"),
])
def test_malformed_urls_are_refused(url, part):
    assert part in (url_problem(url) or "")
    assert url_problem("https://hooks.example.com/twinstudio?x=1") is None
