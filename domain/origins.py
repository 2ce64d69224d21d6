"""Embed domains: origins (scheme + host + optional port) that may frame the widget."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}
NOT_AN_ORIGIN = "must be an origin such as https://coach.example.com"
# DNS labels only: the origin goes into a CSP header, where a space, ";" or "," would
# start another source or directive.
HOST_NAME = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*$")


def normalise_origin(value: str) -> str:
    """``HTTPS://Coach.Example.com:443/`` → ``https://coach.example.com``.

    Raises ValueError for anything that is not an http(s) origin: paths, queries,
    credentials, wildcards and bare host names are refused.
    """
    if not isinstance(value, str) or len(value) > 300:
        raise ValueError(NOT_AN_ORIGIN)
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError(NOT_AN_ORIGIN) from exc
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if (
        scheme not in DEFAULT_PORTS
        or not host
        or "*" in host
        or parts.username
        or parts.password
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        raise ValueError(NOT_AN_ORIGIN)
    host = _checked_host(host)
    if port == 0:
        raise ValueError(NOT_AN_ORIGIN)
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def _checked_host(host: str) -> str:
    """A DNS name (IDNA-encoded, as browsers serialise origins) or an IP literal."""
    if ":" in host:  # an IPv6 literal keeps its brackets in an origin
        try:
            return f"[{ipaddress.IPv6Address(host).compressed}]"
        except ValueError as exc:
            raise ValueError(NOT_AN_ORIGIN) from exc
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ValueError(NOT_AN_ORIGIN) from exc
    if not HOST_NAME.match(ascii_host):
        raise ValueError(NOT_AN_ORIGIN)
    return ascii_host
