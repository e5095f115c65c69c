"""Domain errors. Services raise them; reclaim/api.py and core/views map them to HTTP once."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "invalid"
    default_detail = "The request could not be processed."

    def __init__(
        self,
        detail: str | None = None,
        *,
        field: str | None = None,
        denied: dict[str, Any] | None = None,
    ) -> None:
        self.detail = detail or self.default_detail
        self.field = field
        # Set when this error is an access denial the edge must audit (see access.record_denial).
        self.denied = denied
        super().__init__(self.detail)


class NotFound(DomainError):
    """Missing and forbidden look the same, so nobody learns that a record exists."""

    status = 404
    code = "not_found"
    default_detail = "Not found."


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_detail = "You do not have permission to do this."


class ValidationFailed(DomainError):
    status = 422
    code = "invalid"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class ConsentRequired(DomainError):
    status = 403
    code = "consent_required"
    default_detail = "There is no valid consent that covers this recipient and these data."


class RecordErased(DomainError):
    status = 410
    code = "erased"
    default_detail = "This record was erased at the survivor's request."


class TamperedData(DomainError):
    """A ciphertext failed authentication: edited, moved to another row, or a wrong key."""

    status = 409
    code = "integrity_error"
    default_detail = (
        "This record failed an integrity check and is not shown. The event was logged; "
        "please tell your administrator."
    )

    def __init__(self, table: str, field: str, row_id: object) -> None:
        self.table = table
        self.field_name = field
        self.row_id = row_id
        super().__init__()


class KeystoreUnavailable(DomainError):
    """The master key is missing or wrong, or the keystore cannot be reached: fail closed."""

    status = 503
    code = "keystore_unavailable"
    default_detail = (
        "Survivor records are unavailable: the encryption master key is missing or wrong, or "
        "the keystore cannot be reached. Nothing is shown until this is fixed."
    )
