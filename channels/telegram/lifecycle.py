"""Starting and stopping the Telegram bot inside the gateway's lifespan."""
from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import AsyncIterator

from telegram import Update
from telegram.ext import Application

from channels.conversation import Gateway
from channels.outbound import Outbound
from channels.telegram.bot import TelegramHandlers, build_application
from channels.telegram.channel import TelegramChannel
from dossiers.slips.reader import SlipReader
from settings import TelegramSettings

log = logging.getLogger(__name__)
UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]


@dataclass
class RunningTelegram:
    application: Application
    channel: TelegramChannel
    settings: TelegramSettings

    async def serve(self, gateway: Gateway, outbound: Outbound, slips: SlipReader) -> None:
        """Register the handlers, then receive updates: register the webhook, or poll (developer mode)."""
        TelegramHandlers(gateway, outbound, slips).register(self.application)
        await self.application.start()
        if self.settings.polling:
            await self.application.updater.start_polling(allowed_updates=UPDATES)
            log.info("Telegram: polling for updates")
        elif self.settings.webhook_url:
            await self.application.bot.set_webhook(self.settings.webhook_url, allowed_updates=UPDATES,
                                                   secret_token=self.settings.webhook_secret or None)
            log.info("Telegram: webhook registered")


class TelegramMisconfigured(RuntimeError):
    """A setting that would make the channel fail every update: the gateway refuses to start instead."""


def check(settings: TelegramSettings) -> None:
    if settings.webhook_url and not settings.polling and not settings.webhook_secret:
        raise TelegramMisconfigured("TTHC_TELEGRAM_WEBHOOK_URL is set without TTHC_TELEGRAM_WEBHOOK_SECRET: every "
                                    "update would be refused; set a secret (openssl rand -hex 24)")


@asynccontextmanager
async def start_telegram(settings: TelegramSettings) -> AsyncIterator[RunningTelegram]:
    check(settings)
    application = build_application(settings)
    await application.initialize()
    try:
        yield RunningTelegram(application, TelegramChannel(application.bot), settings)
    finally:
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()
        await application.shutdown()
