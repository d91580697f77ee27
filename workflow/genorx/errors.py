"""The one exception type the CLI turns into a one-line message."""

from __future__ import annotations


class GenorxError(Exception):
    """A user-facing error: one line naming the file, the record and the fix.

    Build messages with :func:`input_error` so every stage words them the same way.
    """

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(message.split()))


def input_error(path: object, where: str | None, problem: str, fix: str) -> GenorxError:
    """``<path>[:<where>]: <problem>; fix: <fix>`` as a GenorxError."""
    loc = f"{path}:{where}" if where else f"{path}"
    return GenorxError(f"{loc}: {problem}; fix: {fix}")
