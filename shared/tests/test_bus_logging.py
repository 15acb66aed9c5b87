"""Quiet at idle: FastStream's per-message and task-supervision lines are debugging detail (issue 15, point 8)."""

from __future__ import annotations

import builtins
import logging

from faststream.nats.subscriber.usecases import stream_pull_subscriber

from afas_shared import bus


def test_an_empty_fetch_does_not_kill_the_pull_loop():
    # nats-py raises the builtin TimeoutError when a fetch's deadline runs out; FastStream only suppressed its own
    # nats.errors.TimeoutError, so the loop died and was restarted with an ERROR traceback and INFO lines.
    assert bus.stream_pull_subscriber.TimeoutError is builtins.TimeoutError
    assert stream_pull_subscriber.TimeoutError is builtins.TimeoutError


def test_the_broker_logger_shows_faststream_lines_only_when_debugging():
    assert bus._broker_logger("svc-info", "INFO").getEffectiveLevel() == logging.WARNING
    assert not bus._broker_logger("svc-info", "INFO").isEnabledFor(logging.INFO)
    assert bus._broker_logger("svc-debug", "DEBUG").isEnabledFor(logging.DEBUG)
