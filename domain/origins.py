"""Embed domains: origins (scheme + host + optional port) that may frame the widget."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_origin(value: str) -> str:
    """``HTTPS://Coach.Example.com:443/`` → ``https://coach.example.com``.

    Raises ValueError for anything that is not an http(s) origin: paths, queries,
    credentials, wildcards and bare host names are refused.
    """
    if not isinstance(value, str) or len(value) > 300:
        raise ValueError("must be an origin such as https://coach.example.com")
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError as exc:
        raise ValueError("must be an origin such as https://coach.example.com") from exc
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
        raise ValueError("must be an origin such as https://coach.example.com")
    if ":" in host:  # an IPv6 literal keeps its brackets in an origin
        host = f"[{host}]"
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"
