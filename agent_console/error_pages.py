"""Error pages in the user's language (Werkzeug's own are English, and say too much)."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

bp = Blueprint("error_pages", __name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Not allowed"), _l("Your account may not open this page.")),
    404: (_l("Not found"), _l("There is nothing at this address.")),
    405: (_l("Not allowed"), _l("This page cannot be used that way.")),
    413: (_l("Too large"), _l("What was sent is too large.")),
    429: (_l("Too many requests"), _l("Wait a moment and try again.")),
}


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    if error.code not in MESSAGES:
        return error
    title, text = MESSAGES[error.code]
    return render_template("error.html", title=title, text=text), error.code
