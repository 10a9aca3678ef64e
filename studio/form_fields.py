"""How a form field is drawn (label, control, hint, and the errors right beside it), in Python for
the `field` macro (templates/macros/forms.html): every form page draws a few, and a macro paid more
for its dozen values than the control costs WTForms to write."""
from typing import Any

from markupsafe import Markup, escape
from wtforms import Field

LIMITED = ("StringField", "TextAreaField", "URLField")  # what a person types has a limit: the hint says it


def field_html(field: Field, autocomplete: str | None = None, autofocus: bool = False, type: str | None = None,
               readonly: bool = False) -> Markup:
    errors = [f'\n    <p class="field-error" id="{escape(field.id)}-error">{escape(error)}</p>' for error in field.errors]
    if field.type == "BooleanField":
        control = f'\n    <label class="check">{field()} {escape(field.label.text)}</label>'
    else:
        attributes: dict[str, Any] = {}
        if autocomplete:
            attributes["autocomplete"] = autocomplete
        if autofocus_for(field, autofocus):
            attributes["autofocus"] = True
        if readonly:
            attributes["readonly"] = True
        if type:
            attributes["type"] = type
        most = field.flags.maxlength if field.type in LIMITED else None
        hint = ((f"{field.description} " if field.description else "")
                + (f"Up to {most:,} characters." if most else ""))
        if errors:
            attributes.update({"aria-invalid": "true", "aria-describedby": f"{field.id}-error"})
        elif hint:
            attributes["aria-describedby"] = f"{field.id}-hint"
        control = f'\n    <label for="{escape(field.id)}">{escape(field.label.text)}</label>\n    {field(**attributes)}'
        if hint and not errors:
            control += f'\n    <p class="hint" id="{escape(field.id)}-hint">{escape(hint)}</p>'
    has_error = " has-error" if errors else ""
    return Markup(f'<div class="field{has_error}">{control}{"".join(errors)}\n  </div>')


def autofocus_for(field: Field, requested: bool) -> bool:
    """A fresh form focuses the field asked for; a re-rendered one focuses its first invalid field."""
    form = getattr(field, "_form", None)
    if form is not None and form.errors:
        return next((name for name in form.errors if name), None) == field.name
    return requested
