"""The REST API's JSON parser: a body nested past Python's recursion limit is a 400, not a 500."""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from contactsource.limits import MAX_JSON_DEPTH


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json.loads gives up around 1,000 levels with a RecursionError, which DRF does not
            # catch; shallower bodies are parsed and each field checks its own depth.
            raise ParseError(
                f"JSON parse error - the body nests too deeply (at most {MAX_JSON_DEPTH} levels)."
            ) from None
