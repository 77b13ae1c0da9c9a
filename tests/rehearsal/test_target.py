"""Where load may go: only to the configured target's own addresses (loopback for the sandbox)."""

from __future__ import annotations

import pytest

from examday.rehearsal import (
    LOOPBACK,
    Target,
    TargetRefused,
    resolve_target,
    run_requests,
)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://127.0.0.42:9", "http://[::1]:8080",
                                 "http://localhost:8080"])
def test_loopback_urls_are_accepted_and_connect_to_the_checked_address(url):
    target = resolve_target(url)
    assert target.address in ("127.0.0.1", "127.0.0.42", "::1")
    assert target.tls is None


def test_a_non_loopback_address_is_refused_with_a_message_saying_why_and_what_to_do():
    with pytest.raises(TargetRefused) as refused:
        resolve_target("http://10.20.30.40:8000")
    message = str(refused.value)
    assert "10.20.30.40" in message and "127.0.0.0/8" in message
    assert "outside the target's own networks" in message and "allowed networks" in message


def test_a_resolve_map_pointing_outside_is_refused_and_one_pointing_home_keeps_the_name():
    with pytest.raises(TargetRefused, match="is mapped by resolve to 192.0.2.7"):
        resolve_target("https://api.exam.example:8443", resolve={"api.exam.example": "192.0.2.7"})
    target = resolve_target("https://api.exam.example:8443", resolve={"API.exam.example": "127.0.0.1"})
    assert (target.address, target.host, target.port) == ("127.0.0.1", "api.exam.example", 8443)
    assert target.host_header == "api.exam.example:8443" and target.tls is not None


def test_a_host_that_does_not_resolve_is_refused():
    with pytest.raises(TargetRefused, match="does not resolve"):
        resolve_target("http://no-such-host.invalid:80")


def test_a_configured_network_lets_its_own_addresses_through():
    assert resolve_target("http://10.20.30.40:8000", allowed=[*LOOPBACK, "10.20.0.0/16"]).address == "10.20.30.40"


@pytest.mark.parametrize("url, reason", [
    ("ftp://127.0.0.1/", "http:// or https://"),
    ("http://127.0.0.1:8000/v1", "without a path"),
])
def test_urls_that_are_not_base_urls_are_refused(url, reason):
    with pytest.raises(TargetRefused, match=reason):
        resolve_target(url)


def test_an_empty_allow_list_refuses_everything():
    with pytest.raises(TargetRefused, match="empty"):
        resolve_target("http://127.0.0.1:80", allowed=[])


def test_a_target_built_by_hand_is_never_loaded():
    forged = Target(base_url="http://10.20.30.40:8000", host="10.20.30.40", address="10.20.30.40", port=8000)
    with pytest.raises(TargetRefused, match="resolve_target"):
        run_requests(forged, [0.0], progress=False)
