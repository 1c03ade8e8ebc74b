"""Which targets a webhook may be sent to (SSRF): http(s) only, and only to public addresses.

A host is resolved and every address it resolves to is checked, at registration (the admin's
form) and again at each delivery, which then connects to an address it checked (a DNS answer
that changes between the check and the connection cannot point the POST elsewhere).
settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS lifts the address rule (the tests' loopback receivers).
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

type IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# The address classes refused, as `ipaddress` names them; the most telling first (loopback
# and link-local addresses are private too).
REFUSED_CLASSES = (
    "is_unspecified",
    "is_loopback",
    "is_link_local",
    "is_multicast",
    "is_reserved",
    "is_private",
)


class TargetRefused(Exception):
    """The URL may not receive webhooks; the message says why."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as the URL names it: sent as Host and as TLS's server name
    port: int
    path: str  # with its query
    addresses: tuple[str, ...]  # checked, in the resolver's order


def refusal(ip: IPAddress) -> str | None:
    """Why `ip` may not be a target, or None."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1
    for name in REFUSED_CLASSES:
        if getattr(ip, name):
            return name.removeprefix("is_").replace("_", "-")
    if not ip.is_global:  # e.g. 100.64.0.0/10, shared address space
        return "not global"
    return None


def resolve(url: str) -> Target:
    """`url` as a Target whose every address passed the checks, or TargetRefused."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"}:
        raise TargetRefused("Only http and https URLs can receive webhooks.")
    host = parts.hostname
    if not host:
        raise TargetRefused("The URL has no host.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetRefused("The URL's port is not a number from 0 to 65535.") from None
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise TargetRefused(f"{host} does not resolve ({error}).") from None
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in found))
    if not addresses:
        raise TargetRefused(f"{host} does not resolve.")
    if not settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS:
        for address in addresses:
            why = refusal(ipaddress.ip_address(address.partition("%")[0]))
            if why is not None:
                raise TargetRefused(
                    f"{host} resolves to {address}, a {why} address: webhooks go to public "
                    "addresses only."
                )
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, addresses)
