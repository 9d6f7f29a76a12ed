"""Member administration: institutions, API keys, who am I, and the audit of access changes."""

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from app.api.auth import CallerDep, require
from app.api.deps import ClockDep, MemberServiceDep, SettingsDep
from app.api.problems import problem_responses
from app.api.routes import api_base_url
from app.api.schemas import (
    AuditEntryOut,
    AuditList,
    CallerOut,
    InstitutionChange,
    InstitutionIn,
    InstitutionList,
    InstitutionOut,
    KeyChange,
    KeyIn,
    KeyList,
    KeyOut,
    NewKeyOut,
)
from app.db.models import MAX_KEY
from app.services.access import PERMISSIONS, Caller, Permission

router = APIRouter()

READ = Depends(require(Permission.READ))
ADMINISTER = Depends(require(Permission.ADMINISTER))
IDENTIFY = Depends(require(Permission.IDENTIFY))
_AUTH = problem_responses(401, 403, 422, 429)

Code = Annotated[str, Path(max_length=40, description="The institution's code, e.g. VN-NLV")]
KeyId = Annotated[int, Path(ge=1, le=MAX_KEY)]
Admin = Annotated[Caller, ADMINISTER]


@router.get(
    "/institutions",
    tags=["members"],
    dependencies=[READ],
    responses=_AUTH,
    summary="List member institutions",
)
def list_institutions(members: MemberServiceDep) -> InstitutionList:
    """Every member, by code."""
    return InstitutionList(items=[InstitutionOut.of(i) for i in members.institutions()])


@router.post(
    "/institutions",
    tags=["members"],
    status_code=201,
    responses={**_AUTH, **problem_responses(400, 409, 422)},
    summary="Register a member institution",
)
def create_institution(
    body: InstitutionIn, members: MemberServiceDep, caller: Admin, response: Response
) -> InstitutionOut:
    """Admins register libraries and publishers; the code is what 040 and 852 will carry."""
    info = members.create_institution(
        code=body.code, name=body.name, kind=body.kind, province=body.province, by=caller
    )
    response.headers["Location"] = f"institutions/{info.code}"
    return InstitutionOut.of(info)


@router.get(
    "/institutions/{code}",
    tags=["members"],
    dependencies=[READ],
    responses={**_AUTH, **problem_responses(404)},
    summary="One member institution",
)
def get_institution(code: Code, members: MemberServiceDep) -> InstitutionOut:
    return InstitutionOut.of(members.institution(code))


@router.patch(
    "/institutions/{code}",
    tags=["members"],
    responses={**_AUTH, **problem_responses(404, 422)},
    summary="Change a member's name, kind or province",
)
def change_institution(
    code: Code, body: InstitutionChange, members: MemberServiceDep, caller: Admin
) -> InstitutionOut:
    info = members.update_institution(
        code, name=body.name, kind=body.kind, province=body.province, by=caller
    )
    return InstitutionOut.of(info)


@router.post(
    "/keys",
    tags=["members"],
    status_code=201,
    responses={**_AUTH, **problem_responses(400, 404, 422)},
    summary="Make an API key for an institution (its secret is shown once)",
)
def create_key(body: KeyIn, members: MemberServiceDep, caller: Admin, clock: ClockDep) -> NewKeyOut:
    """The answer holds the key's secret; only its hash is kept, so store it now."""
    made = members.create_key(
        institution=body.institution,
        role=body.role,
        label=body.label,
        expires_at=body.expires_at,
        by=caller,
    )
    listed = KeyOut.of(made.key, clock())
    return NewKeyOut(**listed.model_dump(), secret=made.secret)


@router.get(
    "/keys",
    tags=["members"],
    dependencies=[ADMINISTER],
    responses={**_AUTH, **problem_responses(404)},
    summary="List API keys (never their secrets)",
)
def list_keys(
    members: MemberServiceDep,
    clock: ClockDep,
    institution: Annotated[str | None, Query(max_length=40)] = None,
) -> KeyList:
    now = clock()
    return KeyList(items=[KeyOut.of(k, now) for k in members.keys(institution)])


@router.patch(
    "/keys/{key_id}",
    tags=["members"],
    responses={**_AUTH, **problem_responses(404, 409, 422)},
    summary="Give a key another role",
)
def change_key(
    key_id: KeyId, body: KeyChange, members: MemberServiceDep, caller: Admin, clock: ClockDep
) -> KeyOut:
    return KeyOut.of(members.change_role(key_id, body.role, by=caller), clock())


@router.delete(
    "/keys/{key_id}",
    tags=["members"],
    responses={**_AUTH, **problem_responses(404)},
    summary="Revoke a key, at once and for good",
)
def revoke_key(key_id: KeyId, members: MemberServiceDep, caller: Admin, clock: ClockDep) -> KeyOut:
    return KeyOut.of(members.revoke_key(key_id, by=caller), clock())


@router.get(
    "/me",
    tags=["members"],
    dependencies=[IDENTIFY],
    responses=_AUTH,
    summary="Who the key in this request belongs to, and what it may do",
)
def who_am_i(caller: CallerDep) -> CallerOut:
    permissions = sorted(PERMISSIONS[caller.role]) if caller.role is not None else []
    return CallerOut(
        institution=caller.institution_code,
        role=caller.role,
        key_id=caller.key_id,
        name=caller.name,
        permissions=permissions,
    )


@router.get(
    "/audit",
    tags=["members"],
    dependencies=[ADMINISTER],
    responses={**_AUTH, **problem_responses(422)},
    summary="Changes of institutions and keys: who, what, when (newest first)",
)
def list_audit(
    members: MemberServiceDep,
    settings: SettingsDep,
    before: Annotated[int | None, Query(ge=1, le=MAX_KEY, description="From the next link")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditList:
    entries = members.audit(before=before, limit=limit)
    following = None
    if len(entries) == limit:
        following = f"{api_base_url(settings)}/audit?before={entries[-1].id}&limit={limit}"
    return AuditList(items=[AuditEntryOut.of(e) for e in entries], next=following)
