"""A logging filter that masks PII (emails, phone numbers) and credentials in every log line.

Installed on the root handler in settings.LOGGING (web, worker and beat alike), so a message, its
arguments, an exception's text or a database error's DETAIL line cannot leak a lead's email,
phone or a source's token into the logs, whoever wrote the log call.
"""

from __future__ import annotations

import logging
import re

# Also URL-encoded (a%40example.com), as in a logged query string or form body.
EMAIL = re.compile(
    r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*(?:@|%40)([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)"
)
# E.164 (+ and 8-15 digits), North American shapes ((727) 287-0426, 727.287.0426, 727-287-0426)
# and bare runs of 10-15 digits; dates, times and ids do not have these shapes.
PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{8,15}|\+?1?[ .-]?\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}|\d{10,15})(?!\w)"
)
# `token=…`, `"token": "…"`, `X-Auth-Token: …`, `Authorization: Bearer …`, `verbose: …`.
CREDENTIAL = re.compile(
    r"""(?ix)
    ((?:token|x-auth-token|authorization|verbose|secret|password|api[_-]?key)
     ["']?\s*[=:]\s*["']?
     (?:(?:bearer|basic|token)\s+)?)
    [^\s"'&,;}]+
    """
)


def _mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return "+" * match.group(0).startswith("+") + "*" * (len(digits) - 2) + digits[-2:]


def mask(text: str) -> str:
    text = CREDENTIAL.sub(r"\1***", text)
    text = EMAIL.sub(r"\1***@\2", text)
    return PHONE.sub(_mask_phone, text)


class PiiMaskingFilter(logging.Filter):
    """Rewrites the record in place: message (with its args), exception text and stack."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken log call must not lose the line
            message = str(record.msg)
        record.msg, record.args = mask(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        if record.stack_info:
            record.stack_info = mask(record.stack_info)
        return True
