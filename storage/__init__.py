"""Persistent stores behind small interfaces (SQLite by default, other backends by URL)."""
from storage.conversations import ConversationStore, open_conversation_store

__all__ = ["ConversationStore", "open_conversation_store"]
