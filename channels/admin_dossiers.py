"""PUT /api/admin/dossiers/{code}: a one-stop system creates or updates a dossier (bearer `TTHC_ADMIN_TOKEN`;
the route is off when the token is unset)."""
from __future__ import annotations

import hmac

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Response
from pydantic import BaseModel

from channels.services import Services, get_services
from dossiers.codes import normalise_dossier_code
from dossiers.models import Dossier, DossierData
from storage.tables import utcnow

router = APIRouter(prefix="/api/admin", tags=["admin"])


class SavedDossier(BaseModel):
    dossier: Dossier
    created: bool
    changes: list[str]
    notifications: int


async def require_admin(services: Services = Depends(get_services),
                        authorization: str = Header("", description="Bearer TTHC_ADMIN_TOKEN")) -> None:
    token = services.settings.admin_token
    if not token:
        raise HTTPException(status_code=404, detail="API quản trị chưa được bật (TTHC_ADMIN_TOKEN).")
    scheme, _, given = authorization.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.encode(), token.encode()):
        raise HTTPException(status_code=401, detail="Thiếu hoặc sai mã truy cập.",
                            headers={"WWW-Authenticate": "Bearer"})


@router.put("/dossiers/{code}", response_model=SavedDossier, dependencies=[Depends(require_admin)])
async def put_dossier(body: DossierData, response: Response, code: str = Path(max_length=64),
                      services: Services = Depends(get_services)) -> SavedDossier:
    """Create or update a dossier; every change is appended to its history, and subscribers are told when its
    status or current stage moved."""
    normalised = normalise_dossier_code(code)
    if normalised is None:
        raise HTTPException(status_code=422, detail=f"code: '{code}' không phải mã hồ sơ hợp lệ.")
    if services.knowledge_base.get(body.procedure_code) is None:
        raise HTTPException(status_code=422,
                            detail=f"procedure_code: thủ tục '{body.procedure_code}' không có trong danh mục.")
    saved = await services.dossiers.save(normalised, body, utcnow())
    if saved.notifications:
        services.notifier.wake()
    response.status_code = 201 if saved.created else 200
    dossier = await services.dossiers.get(normalised)
    assert dossier is not None
    return SavedDossier(dossier=dossier, created=saved.created, changes=saved.changes,
                        notifications=saved.notifications)
