"""The one refusal type: a rule of Studio said no to what someone asked."""


class Refused(Exception):
    """A rule said no. The message is written for the person who asked; `field` names the form
    field it is about (shown beside that field), or None for the form or page as a whole."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    @property
    def message(self) -> str:
        return str(self)
