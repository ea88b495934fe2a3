"""The Telegram bot: python-telegram-bot's Application with the assistant's handlers. In webhook mode it has no
updater (updates arrive at POST /channels/telegram/webhook); in polling mode (`make telegram`) it fetches them."""
from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ChatAction
from telegram.error import TelegramError
from telegram.ext import (Application, CallbackQueryHandler, CommandHandler, ContextTypes, MessageHandler, TypeHandler,
                          filters)

from channels.conversation import Gateway
from channels.outbound import Outbound
from channels.request_id import bind_telegram_update
from channels.schemas import InboundMessage
from dossiers.slips.reader import SlipReader, SlipReading
from settings import TelegramSettings

log = logging.getLogger(__name__)
CHANNEL = "telegram"
PHOTOS = filters.PHOTO | filters.Document.IMAGE
ATTACHMENTS = ((filters.Sticker.ALL, "nhãn dán"), (filters.LOCATION, "vị trí"),
               (filters.VOICE | filters.AUDIO, "tin nhắn thoại"), (filters.VIDEO | filters.VIDEO_NOTE, "video"),
               (filters.Document.ALL, "tệp"), (filters.CONTACT, "danh thiếp"))


class TelegramHandlers:
    """Every update becomes an InboundMessage through the gateway; replies go out through Outbound."""

    def __init__(self, gateway: Gateway, outbound: Outbound, slips: SlipReader) -> None:
        self._gateway = gateway
        self._outbound = outbound
        self._slips = slips

    async def _answer(self, chat_id: str, message: InboundMessage, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not await self._gateway.is_held(message):   # an officer holds it: no sign of the assistant at all
            try:
                await context.bot.send_chat_action(chat_id=int(chat_id), action=ChatAction.TYPING)
            except TelegramError:
                pass                                  # only a courtesy
        replies = await self._gateway.handle(message)
        await self._outbound.deliver(CHANNEL, chat_id, replies)

    async def start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = str(update.effective_chat.id)
        await self._answer(chat_id, InboundMessage(channel=CHANNEL, sender_id=chat_id, event="start"), context)

    async def text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat_id = str(update.effective_chat.id)
        message = InboundMessage(channel=CHANNEL, sender_id=chat_id, text=update.effective_message.text or "")
        await self._answer(chat_id, message, context)

    async def attachment(self, update: Update, context: ContextTypes.DEFAULT_TYPE, what: str) -> None:
        chat_id = str(update.effective_chat.id)
        message = InboundMessage(channel=CHANNEL, sender_id=chat_id, text=what, event="attachment")
        await self._answer(chat_id, message, context)

    async def photo(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo (its largest size) or an image sent as a file, fetched through getFile and read for a code."""
        chat_id = str(update.effective_chat.id)
        reading = await self._read(update.effective_message, context)
        await self._answer(chat_id, InboundMessage(channel=CHANNEL, sender_id=chat_id, event="photo",
                                                   reading=reading), context)

    async def _read(self, message: Message, context: ContextTypes.DEFAULT_TYPE) -> SlipReading:
        sent = max(message.photo, key=lambda size: size.width * size.height) if message.photo else message.document
        if sent is None:
            return SlipReading.refused("not_an_image")
        if (sent.file_size or 0) > self._slips.limits.max_bytes:
            return SlipReading.refused("too_large")
        try:
            file = await context.bot.get_file(sent.file_id)
            if (file.file_size or 0) > self._slips.limits.max_bytes:
                return SlipReading.refused("too_large")
            data = bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.warning("Telegram photo download failed: %s", type(exc).__name__)
            return SlipReading.refused("download_failed")
        return await self._slips.read_async(data)

    async def tap(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        try:
            await query.answer()                      # stops the button's spinner
        except TelegramError:
            pass
        if query.message is None:
            return
        chat_id = str(query.message.chat.id)
        message = InboundMessage(channel=CHANNEL, sender_id=chat_id, payload=query.data or "")
        await self._answer(chat_id, message, context)

    def register(self, application: Application) -> None:
        private = filters.ChatType.PRIVATE
        application.add_handler(TypeHandler(Update, bind_telegram_update), group=-1)   # first: the request id
        application.add_handler(CommandHandler("start", self.start, filters=private))
        application.add_handler(MessageHandler(private & filters.TEXT, self.text))
        application.add_handler(MessageHandler(private & PHOTOS, self.photo))
        for kind, what in ATTACHMENTS:
            application.add_handler(MessageHandler(private & kind, self._attachment_handler(what)))
        application.add_handler(CallbackQueryHandler(self.tap))
        application.add_error_handler(self.error)

    def _attachment_handler(self, what: str):  # type: ignore[no-untyped-def]
        async def handle(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            await self.attachment(update, context, what)
        return handle

    async def error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("Telegram update failed: %s", type(context.error).__name__, exc_info=context.error)


def build_application(settings: TelegramSettings) -> Application:
    builder = (Application.builder().token(settings.bot_token)
               .base_url(f"{settings.api_base}/bot").base_file_url(f"{settings.api_base}/file/bot")
               .concurrent_updates(True))
    if not settings.polling:
        builder = builder.updater(None)
    return builder.build()
