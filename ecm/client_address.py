"""The client's address, as lockout and the audit trail see it.

Behind a reverse proxy REMOTE_ADDR is the proxy's own address, so every user would share
it. Each trusted proxy appends the address it received the request from to
X-Forwarded-For; with TRUSTED_PROXIES = n the client is the n-th address from the right.
Anything further left was written by the client and is never believed. With no trusted
proxy (development, the default) the header is ignored altogether.
"""

import ipaddress

from django.conf import settings


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """The address the nearest untrusted hop connected from (REMOTE_ADDR with no proxy)."""
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "TRUSTED_PROXIES", 0)
    if proxies <= 0:
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if len(hops) < proxies:
        # The proxies did not add what they should have: a misconfiguration or a request that
        # bypassed them. Fall back to the connecting address, which cannot be forged.
        return remote
    return _valid(hops[-proxies]) or remote
