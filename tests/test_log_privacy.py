"""Tests for bot.log_privacy: no personnummer and no library request logs reach a handler."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.log_privacy import QUIET_LOGGERS, RedactingFilter, install_log_privacy
from bot.services.privacy import MASK

NUMBER = "640823-3234"  # Skatteverket's published example


class RecordingHandler(logging.Handler):
    """Keep the records themselves, to look at what the filter left on them."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def restore_global_logging() -> Iterator[None]:
    """Undo what install_log_privacy does to process-wide logging state."""
    root = logging.getLogger()
    names = [*QUIET_LOGGERS, "telegram.ext", "telegram._bot"]
    levels = {name: logging.getLogger(name).level for name in names}
    root_level = root.level
    handlers = list(root.handlers)
    filters = {handler: list(handler.filters) for handler in handlers}
    last_resort = logging.lastResort
    last_resort_filters = list(last_resort.filters) if last_resort else []
    yield
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)
    root.setLevel(root_level)
    for handler in list(root.handlers):
        if handler not in filters:
            root.removeHandler(handler)
    for handler, saved in filters.items():
        handler.filters[:] = saved
    if last_resort:
        last_resort.filters[:] = last_resort_filters


@pytest.fixture
def app_logger() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    """A private logger tree with one StringIO handler and the privacy filter installed."""
    top = logging.getLogger("kontaktlotsen_test_log_privacy")
    top.setLevel(logging.DEBUG)
    top.propagate = False
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    top.addHandler(handler)
    install_log_privacy(top)
    yield top, stream
    top.removeHandler(handler)


@pytest.fixture
def root_output() -> io.StringIO:
    """The real root logger at DEBUG, writing to a StringIO, with the privacy filter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    install_log_privacy()
    return stream


def test_number_in_message_is_masked(app_logger: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = app_logger

    logger.info(f"Meddelande med {NUMBER} avvisat")

    assert stream.getvalue() == f"{logger.name} INFO Meddelande med {MASK} avvisat\n"


def test_number_in_args_is_masked(app_logger: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = app_logger

    logger.warning("Okänd fråga: %r", f"eleven {NUMBER}")

    assert NUMBER not in stream.getvalue()
    assert MASK in stream.getvalue()


def test_number_split_across_args_is_masked(
    app_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = app_logger

    logger.info("%s-%s", "640823", "3234")

    assert stream.getvalue() == f"{logger.name} INFO {MASK}\n"


def test_number_in_mapping_args_is_masked(
    app_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = app_logger

    logger.info("fält %(value)s", {"value": NUMBER})

    assert stream.getvalue() == f"{logger.name} INFO fält {MASK}\n"


def test_child_logger_records_are_masked_by_the_parents_handler(
    app_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, stream = app_logger

    logging.getLogger(f"{logger.name}.services.lookup").error("query %s", NUMBER)

    assert NUMBER not in stream.getvalue()
    assert f"query {MASK}" in stream.getvalue()


def test_number_in_exception_is_masked(app_logger: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = app_logger

    try:
        raise ValueError(f"could not parse {NUMBER}")
    except ValueError:
        logger.exception("import failed")

    output = stream.getvalue()
    assert NUMBER not in output
    assert f"ValueError: could not parse {MASK}" in output
    assert "Traceback (most recent call last)" in output


def test_exception_without_number_keeps_exc_info(
    app_logger: tuple[logging.Logger, io.StringIO],
) -> None:
    logger, _ = app_logger
    recorder = RecordingHandler()
    recorder.addFilter(RedactingFilter())
    logger.addHandler(recorder)

    try:
        raise KeyError("school")
    except KeyError:
        logger.exception("lookup failed")

    logger.removeHandler(recorder)
    [record] = recorder.records
    assert record.exc_info is not None
    assert record.exc_info[0] is KeyError


def test_number_in_already_cached_exception_text_is_masked() -> None:
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", None, None)
    record.exc_text = f"Traceback ...\nValueError: {NUMBER}"

    assert RedactingFilter().filter(record)

    assert record.exc_text == f"Traceback ...\nValueError: {MASK}"


def test_number_in_stack_info_is_masked(app_logger: tuple[logging.Logger, io.StringIO]) -> None:
    logger, stream = app_logger

    logger.info("with stack", stack_info=True)  # 640823-3234: shown in the stack's source line

    output = stream.getvalue()
    assert "Stack (most recent call last)" in output
    assert NUMBER not in output
    assert f"# {MASK}: shown" in output


def test_unformattable_message_drops_args_and_keeps_stderr_clean(
    app_logger: tuple[logging.Logger, io.StringIO], capsys: pytest.CaptureFixture[str]
) -> None:
    logger, stream = app_logger

    logger.info("antal %d", NUMBER)  # %d with a string: formatting raises TypeError

    assert NUMBER not in stream.getvalue()
    assert "antal %d" in stream.getvalue()
    assert NUMBER not in capsys.readouterr().err


def test_install_is_idempotent(app_logger: tuple[logging.Logger, io.StringIO]) -> None:
    logger, _ = app_logger

    install_log_privacy(logger)

    # pytest may add its own capture handlers to the logger; each gets exactly one filter too.
    counts = [sum(isinstance(f, RedactingFilter) for f in h.filters) for h in logger.handlers]
    assert counts == [1] * len(logger.handlers)


def test_root_at_debug_does_not_let_library_request_logs_through(
    root_output: io.StringIO,
) -> None:
    logging.getLogger("telegram._bot").debug(
        "Calling Bot API endpoint `sendMessage` with parameters `{'text': 'hemligt'}`"
    )
    logging.getLogger("httpx").info(
        'HTTP Request: POST https://api.telegram.org/botTOKEN/sendMessage "HTTP/1.1 200 OK"'
    )
    logging.getLogger("httpcore.http11").debug("send_request_headers.started")
    logging.getLogger("telegram.ext.Application").info("Application started")
    logging.getLogger("httpx").warning("retrying")
    logging.getLogger("kontaktlotsen_test_root").debug("our own debug")

    output = root_output.getvalue()
    assert not logging.getLogger("telegram._bot").isEnabledFor(logging.DEBUG)
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    assert "hemligt" not in output
    assert "botTOKEN" not in output
    assert "send_request_headers" not in output
    assert "telegram.ext.Application INFO Application started" in output
    assert "httpx WARNING retrying" in output
    assert "kontaktlotsen_test_root DEBUG our own debug" in output


def test_filter_drops_library_debug_even_if_a_logger_level_is_lowered_later(
    root_output: io.StringIO,
) -> None:
    logging.getLogger("telegram.ext").setLevel(logging.DEBUG)

    logging.getLogger("telegram.ext.ExtBot").debug("Calling Bot API endpoint with `hemligt`")

    assert "hemligt" not in root_output.getvalue()


def test_install_keeps_a_stricter_library_level() -> None:
    logging.getLogger("telegram").setLevel(logging.ERROR)

    install_log_privacy()

    assert logging.getLogger("telegram").level == logging.ERROR
    assert logging.getLogger("httpx").level == logging.WARNING


def test_install_covers_last_resort() -> None:
    assert logging.lastResort is not None

    install_log_privacy()

    assert any(isinstance(f, RedactingFilter) for f in logging.lastResort.filters)
