"""LOG_FORMAT=json: one JSON object per line for a log collector, every text field masked like the
plain text (caseqa/logging_filters.py)."""

from __future__ import annotations

import datetime
import json
import logging

from caseqa.logging_filters import mask_personal_data

# The structured fields the product's own log lines carry (ops/requestlog.py, ops/observe.py).
FIELDS = (
    *("event", "method", "path", "status", "duration_ms", "user", "user_id", "outcome"),
    *("kind", "rows", "counts", "errors"),
)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = mask_personal_data(value) if isinstance(value, str) else value
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)
