"""HTTP clients for calls between services, without a TLS set-up per client.

``httpx.Client()`` builds an SSL context and loads the CA bundle each time it is
created (~40–50 ms of CPU), although the services' peers are normally plain
``http://`` URLs on 127.0.0.1. :func:`peer_client` builds one TLS context per
process, the first time an ``https://`` peer is configured, and shares it; a
client whose peers are all ``http://`` never touches TLS at all.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterable

import httpx

_lock = threading.Lock()
_context: ssl.SSLContext | None = None
_bare: ssl.SSLContext | None = None


def shared_tls_context() -> ssl.SSLContext:
    """One verifying TLS context (the system's CA bundle) for the whole process."""
    global _context
    with _lock:
        if _context is None:
            _context = ssl.create_default_context()
        return _context


def _http_only() -> ssl.SSLContext:
    """A context never used to connect (every peer is http://), made once.

    It loads no CA bundle but still requires a verified certificate and host name,
    so a stray https:// request through it fails instead of going unverified.
    """
    global _bare
    with _lock:
        if _bare is None:
            _bare = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return _bare


def peer_client(urls: Iterable[str | None], *, timeout: float) -> httpx.Client:
    """An ``httpx.Client`` for calls to ``urls``; TLS is set up only for an https peer."""
    needs_tls = any(u is not None and not u.startswith("http://") for u in urls)
    verify = shared_tls_context() if needs_tls else _http_only()
    return httpx.Client(timeout=timeout, verify=verify)
