"""Who may do what: roles, the permissions they grant, and the caller of a use-case."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a key is for; a key has exactly one role."""

    READER = "reader"  # search and download
    CONTRIBUTOR = "contributor"  # also create records and imports, and edit its own records
    CATALOGUER = "cataloguer"  # also edit any record and review CIP requests
    PUBLISHER = "publisher"  # CIP requests only
    ADMIN = "admin"  # everything, and manage institutions, keys and statistics


class Permission(StrEnum):
    """One thing a route or a use-case needs; roles are sets of these."""

    READ = "read"  # search, download, harvest
    IDENTIFY = "identify"  # ask who the key belongs to
    CONTRIBUTE = "contribute"  # create records, submit imports
    EDIT_OWN = "edit-own"  # change or delete the records its institution created
    EDIT_ANY = "edit-any"  # change or delete any record
    HOLD = "hold"  # say which books its institution holds
    CIP_REQUEST = "cip-request"  # send and follow CIP requests
    CIP_REVIEW = "cip-review"  # catalogue, approve or return CIP requests
    ADMINISTER = "administer"  # institutions, keys, audit, statistics


_READER = frozenset({Permission.READ, Permission.IDENTIFY})
_CONTRIBUTOR = _READER | {Permission.CONTRIBUTE, Permission.EDIT_OWN, Permission.HOLD}
# Cataloguers may also enter a request for a publisher (one that phoned, say).
_CATALOGUER = _CONTRIBUTOR | {Permission.EDIT_ANY, Permission.CIP_REQUEST, Permission.CIP_REVIEW}

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.READER: _READER,
    Role.CONTRIBUTOR: _CONTRIBUTOR,
    Role.CATALOGUER: _CATALOGUER,
    Role.PUBLISHER: frozenset({Permission.IDENTIFY, Permission.CIP_REQUEST}),
    Role.ADMIN: frozenset(Permission),
}


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a use-case acts for: a key of an institution, the command line, or nobody known.

    `name` is for people (versions, audit): "VN-NLV key 3", "cli:root", "anonymous"."""

    name: str
    role: Role | None = None
    institution_id: int | None = None
    institution_code: str | None = None
    key_id: int | None = None

    @property
    def anonymous(self) -> bool:
        """No key was given."""
        return self.role is None

    def may(self, permission: Permission) -> bool:
        """Whether the caller's role grants this permission (nobody's grants none)."""
        return self.role is not None and permission in PERMISSIONS[self.role]

    def may_edit(self, owner_institution_id: int | None) -> bool:
        """Whether the caller may change a record its owner institution created.

        A record with no owner (loaded before members existed, or by the command line) is
        everyone's and so only cataloguers' to change."""
        if self.may(Permission.EDIT_ANY):
            return True
        return (
            self.may(Permission.EDIT_OWN)
            and owner_institution_id is not None
            and owner_institution_id == self.institution_id
        )


ANONYMOUS = Caller(name="anonymous")


def command_line_caller(institution_id: int | None = None, code: str | None = None) -> Caller:
    """The person at the server's shell: an administrator, acting for an institution or none."""
    return Caller(
        name=f"cli:{getpass.getuser()}",
        role=Role.ADMIN,
        institution_id=institution_id,
        institution_code=code,
    )


class NotAllowed(Exception):
    """The caller's role does not allow this (HTTP 403)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
