"""Import problems as translatable messages.

A Message is the English text (what the CLI prints and the tests compare), and
it keeps its catalogue template and parameters, so the console shows the same
problem in the user's language: `gettext(message.template, **message.params)`.
The templates are msgids of agent_console's catalogue (test_import_messages
checks every one is translated); they use %(name)s like flask-babel.
"""
from __future__ import annotations


class Message(str):
    template: str
    params: dict

    def __new__(cls, template: str, **params):
        self = super().__new__(cls, template % params if params else template)
        self.template, self.params = template, params
        return self

    def __reduce__(self):  # pickling (and copy) keep the template
        return (_rebuild, (self.template, self.params))


def _rebuild(template: str, params: dict) -> Message:
    return Message(template, **params)


def msg(template: str, **params) -> Message:
    """A problem's text: the template is a literal so babel can extract it."""
    return Message(template, **params)


def as_message(value) -> Message:
    """An exception's or a cell parser's text as a Message (plain text is kept as is,
    with a template that translates to itself)."""
    if isinstance(value, Message):
        return value
    if isinstance(value, BaseException):
        first = value.args[0] if value.args else str(value)
        return first if isinstance(first, Message) else Message("%(text)s", text=str(value))
    return Message("%(text)s", text=str(value))
