"""Which role may do what, as data. The access layer (access.py) is the only reader."""

from __future__ import annotations

from .models import Role

# Actions on survivor data and on the organisation. Names are "<noun>.<verb>".
SURVIVOR_VIEW = "survivor.view"
SURVIVOR_CREATE = "survivor.create"
SURVIVOR_EDIT = "survivor.edit"
SURVIVOR_ERASE = "survivor.erase"
CASE_EDIT = "case.edit"
CASE_ASSIGN = "case.assign"
TRAFFICKING_VIEW = "case.trafficking.view"
CONSENT_RECORD = "consent.record"
CONSENT_REVOKE = "consent.revoke"
AUDIT_VIEW = "audit.view"
BREAK_GLASS_OPEN = "breakglass.open"
BREAK_GLASS_REVIEW = "breakglass.review"
ORG_MANAGE = "org.manage"

# --- care (needs, screenings, plans, notes, appointments) ---
CARE_VIEW = "care.view"  # assessments, screenings, plan, notes, appointments of a record
CARE_RECORD = "care.record"  # record and change them
CARE_NOTE_RESTRICTED = "care.note.restricted"  # read restricted notes written by others
CARE_CONFIGURE = "care.configure"  # the organisation's needs domains
_CARE_WORK = frozenset({CARE_VIEW, CARE_RECORD})

# --- directory (HSDS services, import/export, matching) ---
# Edit, import and export the network's service directory (any staff member may search it).
DIRECTORY_EDIT = "directory.edit"
# Report open beds or places for the services of one's own organisation.
DIRECTORY_CAPACITY = "directory.capacity"

# --- referrals (consented closed-loop referrals, share packets) ---
REFERRAL_VIEW = "referral.view"  # the sending organisation's referrals (record scope)
REFERRAL_SEND = "referral.send"  # prepare, send and cancel
REFERRAL_RECEIVE = "referral.receive"  # the inbox of referrals addressed to the organisation
REFERRAL_RESPOND = "referral.respond"  # accept, decline, progress, complete, fail
_REFERRAL_SENDING = frozenset({REFERRAL_VIEW, REFERRAL_SEND})
_REFERRAL_RECEIVING = frozenset({REFERRAL_RECEIVE, REFERRAL_RESPOND})

_CASEWORK = frozenset(
    {
        SURVIVOR_VIEW,
        SURVIVOR_CREATE,
        SURVIVOR_EDIT,
        CASE_EDIT,
        TRAFFICKING_VIEW,
        CONSENT_RECORD,
        CONSENT_REVOKE,
    }
)

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    Role.ORG_ADMIN: _CASEWORK
    | {CASE_ASSIGN, AUDIT_VIEW, BREAK_GLASS_REVIEW, SURVIVOR_ERASE, ORG_MANAGE}
    | _CARE_WORK
    | {CARE_NOTE_RESTRICTED, CARE_CONFIGURE}
    | _REFERRAL_SENDING
    | _REFERRAL_RECEIVING
    | {DIRECTORY_EDIT, DIRECTORY_CAPACITY},
    Role.SUPERVISOR: _CASEWORK
    | {CASE_ASSIGN, AUDIT_VIEW, BREAK_GLASS_REVIEW}
    | _CARE_WORK
    | {CARE_NOTE_RESTRICTED}
    | _REFERRAL_SENDING
    | _REFERRAL_RECEIVING
    | {DIRECTORY_CAPACITY},
    Role.CASE_MANAGER: _CASEWORK | {BREAK_GLASS_OPEN} | _REFERRAL_SENDING | _CARE_WORK,
    # Partner staff, mentors and program managers reach survivor data only through their own
    # paths (consented referral packets, shared goals, aggregate reports), never the record.
    Role.PARTNER_STAFF: _REFERRAL_RECEIVING | {DIRECTORY_CAPACITY},
    Role.MENTOR: frozenset(),
    Role.PROGRAM_MANAGER: frozenset(),
    # A survivor sees their own record through the portal.
    Role.SURVIVOR: frozenset({SURVIVOR_VIEW}),
}

# Who sees which survivors (the scope rule in access.py reads these sets).
ORGANISATION_WIDE_ROLES = frozenset({Role.ORG_ADMIN, Role.SUPERVISOR})
CASELOAD_ROLES = frozenset({Role.CASE_MANAGER})


def role_allows(role: str, action: str) -> bool:
    return action in ROLE_ACTIONS.get(role, frozenset())
