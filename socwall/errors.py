"""Errors said in words: one plain sentence a shift lead understands, never a class name first."""

import errno

# Exceptions whose message is already the sentence (socwall's own say what went wrong and why;
# a ValueError from a parser names the problem). Anything else is a bug: it says so.
PROGRAMMING_ERRORS = (KeyError, IndexError, TypeError, AttributeError, NameError,
                      ZeroDivisionError, AssertionError, NotImplementedError,
                      RecursionError, UnboundLocalError)  # fmt: skip
MAX_WORDS = 300


class Waiting(Exception):
    """A source that failed waits before it asks again: this refresh was skipped on purpose
    (the message is the failure it waits after, not a new one)."""


def in_words(error: BaseException) -> str:
    """The error as one line of words, at most MAX_WORDS characters."""
    text = _first_line(error)
    if isinstance(error, OSError) and not text.startswith(("cannot ", "no ")):
        text = _os_words(error) or text
    elif isinstance(error, PROGRAMMING_ERRORS):
        detail = f": {text}" if text else ""
        text = f"internal error ({type(error).__name__}{detail}); the worker's log has the details"
    elif not text:
        text = f"failed without a message ({type(error).__name__})"
    return text[:MAX_WORDS]


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0].strip() if text else ""


def _os_words(error: OSError) -> str | None:
    """'[Errno 2] No such file or directory: x' -> 'cannot open x: no such file or directory'."""
    reason = (error.strerror or (errno.errorcode.get(error.errno or 0) or "")).lower()
    if not reason:
        return None
    where = f" {error.filename}" if error.filename else ""
    return f"cannot open{where}: {reason}" if where else reason
