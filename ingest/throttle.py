"""Failed intake authentications (401 and 404) answer 429 once an address or source is over its
limit (contactsource/auth_failures.py: per address and per source, in the shared cache).

An accepted post never touches the cache: the counters are read and written only when an
authentication fails, and a blocked address is refused from this process's own table.
"""

from __future__ import annotations

from contactsource.auth_failures import AuthFailures
from ingest import errors
from ingest.errors import IntakeError, IntakeRefusal
from ingest.pipeline import IntakeRequest

INTAKE_FAILURES = AuthFailures("intake")


def _too_many(retry_after: int) -> IntakeError:
    return IntakeError(errors.TOO_MANY_FAILURES, headers={"Retry-After": str(retry_after)})


def intake_blocked(req: IntakeRequest) -> IntakeError | None:
    """Before any check: the 429 for an address this process has seen over its limit."""
    retry_after = INTAKE_FAILURES.blocked_here(req.client_ip or "")
    return _too_many(retry_after) if retry_after is not None else None


def auth_refused(
    req: IntakeRequest, refusal: IntakeRefusal, *, source_id: int | None = None
) -> IntakeError:
    """The refusal of a failed authentication, counted; 429 instead once over a limit."""
    retry_after = INTAKE_FAILURES.failed(req.client_ip or "", source_id)
    return _too_many(retry_after) if retry_after is not None else IntakeError(refusal)
