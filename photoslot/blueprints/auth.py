"""Admin sign-in and sign-out: credentials for a 24 h token (in the body and as an HttpOnly
cookie); sign-out clears the cookies."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from flask.typing import ResponseReturnValue
from flask_jwt_extended import set_access_cookies, unset_access_cookies

from photoslot.blueprints import json_object
from photoslot.blueprints.guards import TOKEN_LIFETIME_S, current_actor, issue_token
from photoslot.services import auth

bp = Blueprint("auth", __name__)


@bp.post("/login")
def login() -> ResponseReturnValue:
    """Exchange admin credentials for a 24 h JWT (body and HttpOnly cookie + CSRF cookie)."""
    body = json_object()
    # A value that is not a string is as unusable as an empty one: the service says so (422).
    username, password = (value if isinstance(value := body.get(name), str) else ""
                          for name in ("username", "password"))
    admin = auth.login(username, password, current_actor())
    token = issue_token(admin.name, admin.permissions)
    response = jsonify(
        access_token=token,
        token_type="Bearer",
        expires_in=TOKEN_LIFETIME_S,
        permissions=sorted(admin.permissions),
    )
    set_access_cookies(response, token, max_age=TOKEN_LIFETIME_S)
    return response


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Clear the token and CSRF cookies (204), whatever state the token is in.

    Tokens are not stored, so a copied bearer token stays valid until it expires; removing the
    admin from PHOTOSLOT_ADMINS (or a new PHOTOSLOT_SECRET_KEY) ends every token at once."""
    response = Response(status=204)
    unset_access_cookies(response)
    return response
