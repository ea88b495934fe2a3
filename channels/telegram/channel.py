"""Telegram as an outbound channel: `sendMessage` through the bot, with Telegram's errors sorted into worth
retrying (network, timeouts, flood control) or not (blocked by the user, bad request)."""
from __future__ import annotations

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from channels.outbound import DeliveryError
from channels.telegram.render import render_telegram
from replies.model import Reply


def keyboard_markup(rows: list[list[dict]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(b["text"], callback_data=b["callback_data"]) for b in row]
                                 for row in rows])


class TelegramChannel:
    name = "telegram"
    stored = False

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    def render(self, reply: Reply, tokens: list[str]) -> list[dict]:
        return render_telegram(reply, tokens)

    async def send(self, recipient: str, message: dict) -> None:
        try:
            await self._bot.send_message(
                chat_id=int(recipient), text=message["text"], parse_mode=ParseMode.HTML,
                reply_markup=keyboard_markup(message.get("keyboard")),
                link_preview_options=LinkPreviewOptions(is_disabled=True))
        except (BadRequest, Forbidden) as exc:
            raise DeliveryError(f"Telegram refused: {type(exc).__name__}", transient=False) from exc
        except (NetworkError, RetryAfter) as exc:
            raise DeliveryError(f"Telegram send: {type(exc).__name__}", transient=True) from exc
        except TelegramError as exc:
            raise DeliveryError(f"Telegram send: {type(exc).__name__}", transient=False) from exc
