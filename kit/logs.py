"""One log format and one time zone for every process `make run` starts (gunicorn, Celery, Django).

No Django import here: gunicorn's master reads this through gunicorn.conf.py before Django loads,
and the time zone comes from the same TIME_ZONE setting Django uses, read from the environment.
"""

import logging
import os
from datetime import datetime
from zoneinfo import ZoneInfo

FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# Celery logs every run of a periodic task three times at INFO (sent by beat, received, succeeded):
# for the sweeper that is a line pair every few seconds that says nothing. Such lines of the routine
# tasks below are shown only when the log level is DEBUG.
ROUTINE_TASKS = ("payments.tasks.sweep", "payments.tasks.resume_held")
_CELERY_TASK_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")


class Formatter(logging.Formatter):
    """`2026-12-07 04:36:02.850+03:00 INFO name message`, the time in TIME_ZONE."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = ZoneInfo(os.environ.get("TIME_ZONE") or "Europe/Moscow")

    def formatTime(self, record, datefmt=None):  # noqa: N802 (logging's name)
        return datetime.fromtimestamp(record.created, self.zone).isoformat(sep=" ", timespec="milliseconds")


class RoutineTaskFilter(logging.Filter):
    """Demote Celery's per-run lines about routine tasks to DEBUG (dropped unless DEBUG is on)."""

    def filter(self, record):
        if record.name not in _CELERY_TASK_LOGGERS or record.levelno != logging.INFO:
            return True
        text = record.getMessage()
        if not any(task in text for task in ROUTINE_TASKS):
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().getEffectiveLevel() <= logging.DEBUG


def config(level: str = "INFO") -> dict:
    """The logging dict both Django (settings.LOGGING) and gunicorn (logconfig_dict) use."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"kit": {"()": Formatter, "format": FORMAT}},
        "filters": {"routine": {"()": RoutineTaskFilter}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "kit", "filters": ["routine"]}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "httpx": {"level": "WARNING"},
            "httpcore": {"level": "WARNING"},
            "gunicorn.error": {"handlers": ["console"], "level": level, "propagate": False},
            # A line per request is noise in development; a proxy in front keeps its own access log.
            "gunicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }
