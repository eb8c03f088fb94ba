"""Access-log lines without the keys to respondents' data.

A hosted page's path holds the response id (`/e/{slug}/r/{id}/…`), and a first screen's link may
carry a signed external id token (`?zp_id=`). Both are bearer credentials for a while, and access
logs are kept longer and read more widely than the database. `MaskResponseIds` is a logging filter
for the `uvicorn.access` logger: it keeps the first 8 characters of a response id (enough to match a
line with the operator's own lookups) and drops the token.
"""

from __future__ import annotations

import logging
import re

KEPT = 8
_RESPONSE_ID = re.compile(rf"(/e/[^/?#\s]+/r/)([^/?#\s]{{{KEPT}}})[^/?#\s]+")
_TOKEN = re.compile(r"([?&]zp_id=)[^&#\s]+")


def masked(path: str) -> str:
    """`path` (with its query) with each response id cut to its first characters and `zp_id` hidden."""
    return _TOKEN.sub(r"\1…", _RESPONSE_ID.sub(r"\1\2…", path))


class MaskResponseIds(logging.Filter):
    """Masks the request path in uvicorn's access records, which carry it in `record.args`
    (client, method, path with query, HTTP version, status); the record's shape is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(masked(a) if isinstance(a, str) else a for a in record.args)
        return True
