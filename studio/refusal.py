"""The one refusal type: a rule of Studio said no to what someone asked."""


class Refused(Exception):
    """A rule said no. The message is written for the person who asked; `field` names the form
    field it is about (shown beside that field), or None for the form or page as a whole."""

    status = 422  # what the app's handler answers when nothing else caught it

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    @property
    def message(self) -> str:
        return str(self)


class TooFast(Refused):
    """A rate limit said no: the same person asked too often in too short a time."""

    status = 429
