"""Bootstrap: a new organisation and its first admin (the `create-organisation` command)."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from reclaim.core import audit
from reclaim.core.errors import Conflict, ValidationFailed
from reclaim.core.models import Membership, Organisation, OrganisationType, Role, User
from reclaim.core.validation import clean_text

from .rules import clean_email, clean_username, generate_temporary_password, username_taken


def create_organisation(
    *, name: str, org_type: str, admin_username: str, admin_email: str
) -> tuple[Organisation, User, str]:
    """A new organisation with its first organisation admin and that admin's temporary
    password. Only for the `create-organisation` command (the operator of the server acts;
    there is no acting user). Unknown types, taken names and taken usernames are refused with
    `ValidationFailed` / `Conflict` naming the field. Audited as "organisation.create"."""
    name = clean_text(name, field="name", max_bytes=200).strip()
    if not name:
        raise ValidationFailed("name: give the organisation a name.", field="name")
    if org_type not in OrganisationType.values:
        choices = ", ".join(OrganisationType.values)
        raise ValidationFailed(f"type: '{org_type}' is not one of {choices}.", field="type")
    username = clean_username(admin_username)
    email = clean_email(admin_email)
    password = generate_temporary_password()
    try:
        with transaction.atomic():
            if Organisation.objects.filter(name__iexact=name).exists():
                raise Conflict("name: an organisation with this name exists.", field="name")
            if User.objects.filter(username__iexact=username).exists():
                raise username_taken(username)
            organisation = Organisation.objects.create(name=name, org_type=org_type)
            admin = User(username=username, email=email, must_change_password=True)
            admin.set_password(password)
            admin.save()
            membership = Membership.objects.create(
                user=admin, organisation=organisation, role=Role.ORG_ADMIN
            )
            audit.record(
                "organisation.create",
                organisation_id=organisation.pk,
                target=organisation,
                fields=["name", "org_type"],
                context={"admin_membership_id": membership.pk, "org_type": org_type},
            )
    except IntegrityError as exc:
        raise Conflict("name: an organisation or username with this name exists.") from exc
    return organisation, admin, password
