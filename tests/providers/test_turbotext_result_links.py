"""Turbotext's answer cannot steer the gateway: result links only on allowed hosts, redirects
only to them, no private or loopback address unless the configured base URL is one."""

from __future__ import annotations

import pytest

from photoslot.providers.base import Deadline, ProviderError
from photoslot.providers.result_links import ResultLinkPolicy, is_special_address
from photoslot.providers.turbotext import TurbotextProvider
from tests.fakes.images import same_pixels, transform
from tests.fakes.turbotext import DEFAULT_API_KEY
from tests.providers.conftest import PHOTO
from tests.providers.test_turbotext_driver import failure, job


def refused(error) -> None:
    assert error.code == "provider_bad_response"
    assert error.public_details == {"reason": "result_link_refused"}
    assert "result link refused" in error.internal


def test_a_result_link_on_another_host_is_refused_without_fetching_it(
        turbotext, turbotext_fake, image_host, links):
    turbotext_fake.mode = f"link={links['photo']}"  # a real image, on another port

    error = failure(turbotext, job(links))

    refused(error)
    assert "a host other than the provider's" in error.internal
    assert [r.path for r in image_host.requests] == ["/public/media/photo"]  # Turbotext's own


def test_a_redirect_to_another_host_is_not_followed(turbotext, turbotext_fake, image_host,
                                                    links):
    turbotext_fake.mode = f"redirect={links['photo']}"

    error = failure(turbotext, job(links))

    refused(error)
    assert len(image_host.requests) == 1  # only Turbotext's download of the input
    moved = [r for r in turbotext_fake.requests if r.path == "/moved.php"]
    assert [r.status for r in moved] == [302]


def test_a_redirect_on_the_same_host_is_followed(turbotext, turbotext_fake, links):
    turbotext_fake.mode = "redirect=same"

    result = turbotext.process(job(links), Deadline.after(10))

    assert same_pixels(result.image, transform(PHOTO))
    assert [r.path for r in turbotext_fake.requests if r.method == "GET"] == [
        "/moved.php", "/download.php"]


def test_endless_redirects_stop(turbotext, turbotext_fake, links):
    turbotext.max_redirects = 0
    turbotext_fake.mode = "redirect=same"

    error = failure(turbotext, job(links))

    assert error.code == "provider_bad_response" and "redirects" in error.internal


def test_an_allow_listed_host_is_fetched(make_config, turbotext_fake, image_host, links):
    host_port = image_host.base_url.removeprefix("http://")
    provider = TurbotextProvider(make_config(
        TURBOTEXT_API_KEY=DEFAULT_API_KEY, PHOTOSLOT_TURBOTEXT_BASE_URL=turbotext_fake.base_url,
        PHOTOSLOT_TURBOTEXT_RESULT_HOSTS=f"cdn.example, {host_port}"))
    provider.poll_interval_s = 0.05
    turbotext_fake.mode = f"link={links['template']}"

    result = provider.process(job(links), Deadline.after(10))

    assert result.mime == "image/jpeg"  # the template image the link named


PUBLIC = "https://www.turbotext.ru"


def policy(base: str = PUBLIC, hosts=(), dns: dict[str, list[str]] | None = None):
    table = {"www.turbotext.ru": ["185.10.0.7"], **(dns or {})}
    return ResultLinkPolicy(base, hosts, resolver=lambda host, _port: table.get(host, []))


@pytest.mark.parametrize("url", [
    "https://www.turbotext.ru/download.php?f=1.png",
    "https://WWW.TURBOTEXT.RU:443/image/x.png",
])
def test_links_on_the_configured_host_pass(url):
    policy().check(url)


@pytest.mark.parametrize("url, why", [
    ("http://www.turbotext.ru/x.png", "a host other"),  # port 80, not the configured 443
    ("https://www.turbotext.ru:8443/x.png", "a host other"),
    ("https://evil.example/x.png", "a host other"),
    ("https://169.254.169.254/latest/meta-data/", "a host other"),
    ("file:///etc/passwd", "not an http(s) link"),
    ("gopher://www.turbotext.ru/x", "not an http(s) link"),
    ("https://user:pw@www.turbotext.ru/x.png", "credentials"),
])
def test_other_links_are_refused(url, why):
    with pytest.raises(ProviderError) as caught:
        policy().check(url)
    refused(caught.value)
    assert why in caught.value.internal


def test_an_allowed_name_that_resolves_inside_is_refused():
    rebound = policy(hosts=[("cdn.turbotext.ru", None)],
                     dns={"cdn.turbotext.ru": ["10.0.0.5"], "img.turbotext.ru": ["::1"]})
    with pytest.raises(ProviderError) as caught:
        rebound.check("https://cdn.turbotext.ru/x.png")
    refused(caught.value)
    assert "private or loopback" in caught.value.internal
    with pytest.raises(ProviderError):
        policy(hosts=[("localhost", None)]).check("https://localhost/x.png")


def test_a_private_base_url_trusts_its_own_hosts():
    local = policy("http://127.0.0.1:8092", hosts=[("10.1.2.3", 8080)])
    local.check("http://127.0.0.1:8092/download.php?f=1")
    local.check("http://10.1.2.3:8080/x.png")
    with pytest.raises(ProviderError):
        local.check("http://127.0.0.1:5432/")  # same address, another port: not the provider


@pytest.mark.parametrize("address, special", [
    ("127.0.0.1", True), ("10.0.0.1", True), ("192.168.1.1", True), ("169.254.169.254", True),
    ("::1", True), ("fe80::1%eth0", True), ("::ffff:127.0.0.1", True), ("0.0.0.0", True),
    ("185.10.0.7", False), ("2a00:1450:4001::1", False),
])
def test_special_addresses(address, special):
    assert is_special_address(address) is special
