"""One's own account (/api/staff/password, /api/staff/logout-everywhere) and, for administrators, the list of
accounts and disabling or enabling one. Each change is written to the audit log."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends, HTTPException, Path, Request, Response
from pydantic import BaseModel, Field

from channels.services import Services, get_services
from inputs import CleanModel
from staff.accounts import USERNAME_PATTERN, Account, AccountError, SignIn
from staff.web.api import refuse_sign_in
from staff.web.auth import COOKIE, StaffContext, admin_checked, admin_only, csrf_checked
from storage.tables import utcnow

router = APIRouter(prefix="/api/staff", tags=["staff"])
CHANGE_PASSWORD = "change_password"
SIGN_OUT_EVERYWHERE = "sign_out_everywhere"
DISABLE_ACCOUNT = "disable_account"
ENABLE_ACCOUNT = "enable_account"


class PasswordChange(CleanModel):
    old_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class AccountOut(BaseModel):
    username: str
    role: str
    created_at: datetime
    disabled: bool


def _out(account: Account) -> AccountOut:
    return AccountOut(username=account.username, role=account.role, created_at=account.created_at,
                      disabled=account.disabled_at is not None)


class SignedOut(BaseModel):
    sessions_ended: int


@router.post("/password", response_model=SignedOut)
async def change_password(change: PasswordChange, request: Request, context: StaffContext = Depends(csrf_checked),
                          services: Services = Depends(get_services)) -> SignedOut:
    """Change one's own password (the current one is required); every other session of the officer ends."""
    username = context.member.username
    address = request.client.host if request.client else "unknown"
    try:
        outcome = await services.staff.accounts.change_password(username, change.old_password, change.new_password,
                                                                address, utcnow())
    except AccountError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc
    if outcome is SignIn.WRONG:
        raise HTTPException(status_code=403, detail="Mật khẩu hiện tại không đúng.")
    refuse_sign_in(outcome)
    ended = await services.staff.sessions.close_all(username, keep=context.session_token)
    await services.staff.audit.record(username, CHANGE_PASSWORD, f"staff:{username}", utcnow())
    return SignedOut(sessions_ended=ended)


@router.post("/logout-everywhere", response_model=SignedOut)
async def logout_everywhere(response: Response, context: StaffContext = Depends(csrf_checked),
                            services: Services = Depends(get_services)) -> SignedOut:
    """End every session of the signed-in officer, this one included (a lost phone, a shared computer)."""
    username = context.member.username
    ended = await services.staff.sessions.close_all(username)
    await services.staff.audit.record(username, SIGN_OUT_EVERYWHERE, f"staff:{username}", utcnow())
    response.delete_cookie(COOKIE, path="/")
    return SignedOut(sessions_ended=ended)


@router.get("/users", response_model=list[AccountOut])
async def accounts(_: StaffContext = Depends(admin_only), services: Services = Depends(get_services)) -> list[AccountOut]:
    return [_out(a) for a in await services.staff.accounts.all()]


async def _set_disabled(username: str, disabled: bool, context: StaffContext, services: Services) -> AccountOut:
    if username == context.member.username:
        raise HTTPException(status_code=409, detail="Không thể tự khoá tài khoản của chính mình.")
    if not await services.staff.accounts.set_disabled(username, disabled, utcnow()):
        raise HTTPException(status_code=404, detail=f"Không có tài khoản {username}.")
    await services.staff.audit.record(context.member.username, DISABLE_ACCOUNT if disabled else ENABLE_ACCOUNT,
                                      f"staff:{username}", utcnow())
    [account] = [a for a in await services.staff.accounts.all() if a.username == username]
    return _out(account)


@router.post("/users/{username}/disable", response_model=AccountOut)
async def disable(username: str = Path(pattern=USERNAME_PATTERN), context: StaffContext = Depends(admin_checked),
                  services: Services = Depends(get_services)) -> AccountOut:
    """Disable an account: it cannot sign in and its open sessions are refused at once."""
    return await _set_disabled(username, True, context, services)


@router.post("/users/{username}/enable", response_model=AccountOut)
async def enable(username: str = Path(pattern=USERNAME_PATTERN), context: StaffContext = Depends(admin_checked),
                 services: Services = Depends(get_services)) -> AccountOut:
    return await _set_disabled(username, False, context, services)
