"""Password hashing and the permission check used by every protected view."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_jwt_extended import get_jwt, get_jwt_identity, verify_jwt_in_request

from photoslot.errors import ApiError
from photoslot.offload import off_loop

_hasher = PasswordHasher()
# Verified against when the username is unknown, so a wrong user costs the same as a wrong password.
_DUMMY_HASH = _hasher.hash("photoslot-dummy-password")


def hash_password(password: str) -> str:
    """Return an argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check ``password`` against ``password_hash`` in constant time; None hashes never match."""
    try:
        valid = off_loop(_hasher.verify, password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return valid and password_hash is not None


def require_permission(permission: str | None = None) -> Callable:
    """Decorate a view: a valid admin JWT is required, and ``permission`` in its claims if given."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            verify_jwt_in_request()
            if permission and permission not in get_jwt().get("permissions", []):
                raise ApiError(
                    403,
                    "forbidden",
                    f"this action needs the '{permission}' permission",
                    {"required": permission, "admin": get_jwt_identity()},
                )
            return view(*args, **kwargs)

        return wrapper

    return decorator
