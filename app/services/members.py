"""Member institutions and their API keys: create, change, revoke, authenticate; all audited."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.db.engine import Database
from app.db.members import MemberRepository
from app.db.models import ApiKey, AuditEvent, Institution
from app.services.access import Caller, Role
from app.services.errors import ServiceError

# MARC organization codes and ISILs: letters, digits, and "-", ":" or "/" inside, at most 16
# characters (ISO 15511), e.g. "VN-NLV", "DLC", "VN:HaNoi/01".
_CODE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9:/-]{0,14}[A-Za-z0-9])?")
# Secrets say what they are, so a leaked one is easy to spot in logs and repositories.
SECRET_PREFIX = "sc_"  # noqa: S105 - a marker every secret starts with, not a secret
_SHOWN = 11  # characters of a secret kept in clear to tell keys apart: "sc_" and 8 more


class InstitutionKind(StrEnum):
    NATIONAL = "national"
    PUBLIC = "public"
    UNIVERSITY = "university"
    SPECIAL = "special"
    SCHOOL = "school"
    PUBLISHER = "publisher"


class InstitutionNotFound(ServiceError):
    def __init__(self, code: str) -> None:
        super().__init__(f"There is no institution {code!r}.")


class InstitutionExists(ServiceError):
    def __init__(self, code: str) -> None:
        super().__init__(f"Institution {code!r} exists already.")


class BadInstitutionCode(ServiceError):
    def __init__(self, code: str) -> None:
        super().__init__(
            f"{code!r} is not an institution code: use a MARC organization code or an ISIL "
            "(letters, digits, '-', ':' or '/', at most 16 characters), e.g. VN-NLV."
        )


class KeyNotFound(ServiceError):
    def __init__(self, key_id: int) -> None:
        super().__init__(f"There is no API key {key_id}.")


class InvalidKey(ServiceError):
    """The secret names no usable key (HTTP 401); the reason says why without helping guess."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)


class KeyRefused(ServiceError):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)


@dataclass(frozen=True, slots=True)
class InstitutionInfo:
    id: int
    code: str
    name: str
    province: str | None
    kind: InstitutionKind
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class KeyInfo:
    """A key as listed: never its secret."""

    id: int
    institution: str
    role: Role
    prefix: str
    label: str | None
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None

    def active(self, now: datetime) -> bool:
        """Neither revoked nor expired at `now`."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key just made: the secret is here once and nowhere else, ever."""

    secret: str
    key: KeyInfo


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, object]


def hash_secret(secret: str) -> str:
    """The stored form of a key's secret: SHA-256, hex.

    A fast hash is right here: secrets are 256 random bits, so there is nothing to brute-force,
    and a slow password hash would cost every request tens of milliseconds."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _institution_info(row: Institution) -> InstitutionInfo:
    return InstitutionInfo(
        id=row.id,
        code=row.code,
        name=row.name,
        province=row.province,
        kind=InstitutionKind(row.kind),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _key_info(row: ApiKey, institution: Institution) -> KeyInfo:
    return KeyInfo(
        id=row.id,
        institution=institution.code,
        role=Role(row.role),
        prefix=row.prefix,
        label=row.label,
        created_at=row.created_at,
        created_by=row.created_by,
        expires_at=row.expires_at,
        revoked_at=row.revoked_at,
    )


def caller_name(code: str, key_id: int) -> str:
    """How a key is named in versions and the audit: "VN-NLV key 3"."""
    return f"{code} key {key_id}"


class MemberService:
    """Use-cases of member administration; each is one transaction."""

    def __init__(self, database: Database, *, clock: Callable[[], datetime]) -> None:
        self._db = database
        self._clock = clock

    def _audit(
        self,
        repository: MemberRepository,
        by: Caller,
        action: str,
        subject: str,
        **detail: object,
    ) -> None:
        repository.add(
            AuditEvent(
                at=self._clock(),
                actor=by.name,
                actor_key_id=by.key_id,
                action=action,
                subject=subject,
                detail=json.dumps(detail, ensure_ascii=False, default=str),
            )
        )

    # -- institutions -------------------------------------------------------------------------

    def create_institution(
        self,
        *,
        code: str,
        name: str,
        kind: InstitutionKind,
        province: str | None,
        by: Caller,
    ) -> InstitutionInfo:
        """Register a member; its code is how 040, 852 and statistics name it."""
        if not _CODE.fullmatch(code):
            raise BadInstitutionCode(code)
        with self._db.writer.begin() as session:
            repository = MemberRepository(session)
            if repository.institution(code) is not None:
                raise InstitutionExists(code)
            now = self._clock()
            row = Institution(
                code=code,
                name=name.strip(),
                province=province.strip() if province else None,
                kind=kind.value,
                created_at=now,
                updated_at=now,
            )
            repository.add(row)
            self._audit(repository, by, "institution-created", code, name=row.name, kind=kind.value)
            return _institution_info(row)

    def update_institution(
        self,
        code: str,
        *,
        name: str | None,
        kind: InstitutionKind | None,
        province: str | None,
        by: Caller,
    ) -> InstitutionInfo:
        """Change an institution's name, kind or province (its code never changes)."""
        with self._db.writer.begin() as session:
            repository = MemberRepository(session)
            row = repository.institution(code)
            if row is None:
                raise InstitutionNotFound(code)
            changes: dict[str, object] = {}
            if name is not None and name.strip() != row.name:
                changes["name"] = row.name = name.strip()
            if kind is not None and kind.value != row.kind:
                changes["kind"] = row.kind = kind.value
            if province is not None and (province.strip() or None) != row.province:
                changes["province"] = row.province = province.strip() or None
            if changes:
                row.updated_at = self._clock()
                self._audit(repository, by, "institution-changed", code, **changes)
            return _institution_info(row)

    def institution(self, code: str) -> InstitutionInfo:
        with self._db.reader() as session:
            row = MemberRepository(session).institution(code)
            if row is None:
                raise InstitutionNotFound(code)
            return _institution_info(row)

    def institutions(self) -> list[InstitutionInfo]:
        with self._db.reader() as session:
            return [_institution_info(row) for row in MemberRepository(session).institutions()]

    # -- keys ---------------------------------------------------------------------------------

    def create_key(
        self,
        *,
        institution: str,
        role: Role,
        label: str | None,
        expires_at: datetime | None,
        by: Caller,
    ) -> NewKey:
        """Make a key for an institution; its secret is returned now and never again."""
        now = self._clock()
        if expires_at is not None and expires_at <= now:
            raise KeyRefused("The expiry of a new key must be in the future.")
        secret = SECRET_PREFIX + secrets.token_urlsafe(32)
        with self._db.writer.begin() as session:
            repository = MemberRepository(session)
            owner = repository.institution(institution)
            if owner is None:
                raise InstitutionNotFound(institution)
            row = ApiKey(
                institution_id=owner.id,
                role=role.value,
                prefix=secret[:_SHOWN],
                secret_hash=hash_secret(secret),
                label=label,
                created_at=now,
                created_by=by.name,
                expires_at=expires_at,
            )
            repository.add(row)
            self._audit(
                repository,
                by,
                "key-created",
                f"key {row.id}",
                institution=owner.code,
                role=role.value,
                expires_at=expires_at,
                label=label,
            )
            return NewKey(secret=secret, key=_key_info(row, owner))

    def keys(self, institution: str | None = None) -> list[KeyInfo]:
        """Every key (of one institution), oldest first, revoked and expired ones included."""
        with self._db.reader() as session:
            repository = MemberRepository(session)
            owner_id = None
            if institution is not None:
                owner = repository.institution(institution)
                if owner is None:
                    raise InstitutionNotFound(institution)
                owner_id = owner.id
            return [_key_info(key, owner) for key, owner in repository.keys(owner_id)]

    def revoke_key(self, key_id: int, *, by: Caller) -> KeyInfo:
        """Stop a key from working, at once and for good; revoking twice changes nothing."""
        with self._db.writer.begin() as session:
            repository = MemberRepository(session)
            row = repository.key(key_id)
            if row is None:
                raise KeyNotFound(key_id)
            if row.revoked_at is None:
                row.revoked_at = self._clock()
                self._audit(repository, by, "key-revoked", f"key {key_id}")
            owner = repository.institution_by_id(row.institution_id)
            assert owner is not None  # a foreign key holds it
            return _key_info(row, owner)

    def change_role(self, key_id: int, role: Role, *, by: Caller) -> KeyInfo:
        """Give a key another role; the audit keeps the old one."""
        with self._db.writer.begin() as session:
            repository = MemberRepository(session)
            row = repository.key(key_id)
            if row is None:
                raise KeyNotFound(key_id)
            if row.revoked_at is not None:
                raise KeyRefused(f"API key {key_id} is revoked; make a new one instead.")
            if row.role != role.value:
                self._audit(
                    repository,
                    by,
                    "key-role-changed",
                    f"key {key_id}",
                    old_role=row.role,
                    new_role=role.value,
                )
                row.role = role.value
            owner = repository.institution_by_id(row.institution_id)
            assert owner is not None  # a foreign key holds it
            return _key_info(row, owner)

    def authenticate(self, secret: str) -> Caller:
        """The caller a secret stands for; InvalidKey when it is unknown, revoked or expired."""
        if not secret.startswith(SECRET_PREFIX) or len(secret) > 200:
            raise InvalidKey("The API key is not one this service issued.")
        with self._db.reader() as session:
            found = MemberRepository(session).key_by_hash(hash_secret(secret))
            if found is None:
                raise InvalidKey("The API key is not one this service issued.")
            key, owner = found
            if key.revoked_at is not None:
                raise InvalidKey("The API key was revoked.")
            if key.expires_at is not None and key.expires_at <= self._clock():
                raise InvalidKey("The API key has expired.")
            return Caller(
                name=caller_name(owner.code, key.id),
                role=Role(key.role),
                institution_id=owner.id,
                institution_code=owner.code,
                key_id=key.id,
            )

    # -- audit --------------------------------------------------------------------------------

    def audit(self, *, before: int | None = None, limit: int = 100) -> list[AuditEntry]:
        """Changes of institutions and keys, newest first, a page below event `before`."""
        with self._db.reader() as session:
            rows = MemberRepository(session).audit_events(before=before, limit=limit)
            return [
                AuditEntry(
                    id=row.id,
                    at=row.at,
                    actor=row.actor,
                    action=row.action,
                    subject=row.subject,
                    detail=json.loads(row.detail),
                )
                for row in rows
            ]
