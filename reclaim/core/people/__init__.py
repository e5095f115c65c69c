"""People and organisation administration: members, roles, teams, and the first organisation.

Who may call what: every function except `create_organisation` takes the acting user as `by`
and needs `org.manage` (organisation admins) in the organisation concerned; anything outside
the organisations they manage does not exist for them (`NotFound`). Every change runs in one
transaction with its audit event, which holds ids, roles and field names, never a name, an
email address or a password.

There is no outgoing email: a new account, or a reset password, gets a strong random temporary
password that the service returns once; the admin hands it over in person. Nothing stores it
in clear, logs it or puts it in a URL.

The services live by concept in `rules` (the role-granting rule and the scoped lookups),
`members`, `teams` and `organisations`; import them from here.
"""

from .members import (
    MemberRow,
    add_member,
    change_member,
    deactivate_member,
    list_members,
    member_row,
    reactivate_member,
    reset_mfa,
    reset_password,
)
from .organisations import create_organisation
from .rules import (
    generate_temporary_password,
    get_membership,
    get_organisation,
    get_team,
    grantable_roles,
    list_managed_organisations,
    managed_organisation_ids,
    roles_you_may_give,
)
from .teams import create_team, list_teams, rename_team

__all__ = [
    "MemberRow",
    "add_member",
    "change_member",
    "create_organisation",
    "create_team",
    "deactivate_member",
    "generate_temporary_password",
    "get_membership",
    "get_organisation",
    "get_team",
    "grantable_roles",
    "list_managed_organisations",
    "list_members",
    "list_teams",
    "managed_organisation_ids",
    "member_row",
    "reactivate_member",
    "rename_team",
    "reset_mfa",
    "reset_password",
    "roles_you_may_give",
]
