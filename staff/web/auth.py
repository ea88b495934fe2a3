"""Who is calling: the session cookie resolved to a staff member; refusals for everyone else (401 for the API, a
redirect to the sign-in page for pages), CSRF checks on every state-changing call, admin-only routes."""
from __future__ import annotations

import hmac
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Depends, HTTPException, Request

from channels.services import Services, get_services
from staff.accounts import StaffMember
from storage.tables import utcnow

COOKIE = "tthc_staff"
CSRF_HEADER = "X-CSRF-Token"
LOGIN_PAGE = "/staff/login"


@dataclass(frozen=True)
class StaffContext:
    member: StaffMember
    csrf_token: str
    session_token: str


async def _resolve(request: Request, services: Services) -> StaffContext | None:
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    found = await services.staff.sessions.resolve(token, utcnow())
    return StaffContext(found[0], found[1], token) if found else None


async def staff_api(request: Request, services: Services = Depends(get_services)) -> StaffContext:
    context = await _resolve(request, services)
    if context is None:
        raise HTTPException(status_code=401, detail="Cần đăng nhập bằng tài khoản cán bộ.")
    return context


async def staff_page(request: Request, services: Services = Depends(get_services)) -> StaffContext:
    context = await _resolve(request, services)
    if context is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(status_code=303, detail="Cần đăng nhập.",
                            headers={"Location": f"{LOGIN_PAGE}?next={quote(target, safe='')}"})
    return context


async def csrf_checked(request: Request, context: StaffContext = Depends(staff_api)) -> StaffContext:
    given = request.headers.get(CSRF_HEADER, "")
    if not hmac.compare_digest(given.encode(), context.csrf_token.encode()):
        raise HTTPException(status_code=403, detail="Thiếu hoặc sai mã chống giả mạo (CSRF); hãy tải lại trang.")
    return context


async def admin_only(context: StaffContext = Depends(staff_api)) -> StaffContext:
    if not context.member.is_admin:
        raise HTTPException(status_code=403, detail="Chức năng này chỉ dành cho quản trị viên.")
    return context


async def admin_checked(context: StaffContext = Depends(csrf_checked)) -> StaffContext:
    """A state-changing call only administrators may make."""
    return await admin_only(context)
