"""Telegram bot (python-telegram-bot 22): webhook inside the gateway, or polling for development."""
