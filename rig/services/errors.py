"""The one way a service says "no": :class:`ServiceError` with a status and a sentence.

Service logic raises ``ServiceError(404, "unknown binding 'B-1'")``; the application
turns it into ``{"detail": "..."}`` with that status. Only 4xx statuses are used for
anything a caller sent — the services promise no 5xx for any input — so the
constructor refuses any status outside 4xx.
"""

from __future__ import annotations


class ServiceError(Exception):
    """A refusal the caller can act on: ``status`` (4xx) and ``detail`` in words."""

    def __init__(self, status: int, detail: str) -> None:
        if not 400 <= status < 500:
            raise ValueError(f"a caller's error is 4xx, not {status}")
        super().__init__(detail)
        self.status = status
        self.detail = detail


def not_found(what: str, ident: str) -> ServiceError:
    return ServiceError(404, f"unknown {what} '{ident}'")


def invalid(detail: str) -> ServiceError:
    return ServiceError(422, detail)


def conflict(detail: str) -> ServiceError:
    return ServiceError(409, detail)


def forbidden(detail: str) -> ServiceError:
    return ServiceError(403, detail)
