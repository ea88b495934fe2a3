"""POST /channels/telegram/webhook: check Telegram's secret token header, drop retried updates, hand the update
to the bot's queue and answer at once."""
from __future__ import annotations

import hmac
import logging

from fastapi import APIRouter, Depends, HTTPException, Request
from telegram import Update

from channels.request_id import current_request_id, telegram_updates
from channels.services import Services, get_services

log = logging.getLogger(__name__)
router = APIRouter(tags=["channels"])
CHANNEL = "telegram"


@router.post("/channels/telegram/webhook")
async def telegram_webhook(request: Request, services: Services = Depends(get_services)) -> dict[str, str]:
    application = services.telegram
    if application is None or services.settings.telegram.polling:
        raise HTTPException(status_code=404, detail="Kênh Telegram chưa được cấu hình.")
    secret = services.settings.telegram.webhook_secret
    given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
    if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
        log.warning("Telegram webhook: secret token missing or wrong")
        raise HTTPException(status_code=401, detail="Mã bí mật không hợp lệ.")
    try:
        update = Update.de_json(await request.json(), application.bot)
    except (ValueError, TypeError, KeyError, AttributeError):     # AttributeError: JSON that is not an object
        raise HTTPException(status_code=400, detail="Cập nhật không hợp lệ.")
    if update is None or not await services.events.claim(CHANNEL, str(update.update_id)):
        return {"status": "duplicate"}
    telegram_updates.give(update.update_id, current_request_id())   # the bot's queue runs it in another task
    await application.update_queue.put(update)
    return {"status": "ok"}
