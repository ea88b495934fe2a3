"""The one path every inbound message takes, whatever its channel: log it, turn a pick back into what it stands
for, ask the dialogue engine, make sure something is said back, log the replies."""
from __future__ import annotations

import logging
import re

from channels.dialogue import DialogueUnavailable, RasaDialogue, intent_message
from channels.keyed_locks import KeyedLocks
from channels.rate_limit import Limiter, SlidingWindowLimiter
from channels.schemas import InboundMessage
from dossiers import replies as dossier_replies
from dossiers.slips.reader import SlipReading
from handover.desk import HandoverDesk
from replies.model import Choice, Reply
from replies.text import reply_text
from storage.choices import ChoiceStore, looks_like_token
from storage.conversations import ConversationLog

EMPTY_TEXT_REPLY = "Anh/chị vui lòng nhập câu hỏi về thủ tục hành chính ạ."
TOO_LONG_REPLY = ("Tin nhắn hơi dài, anh/chị vui lòng gửi câu hỏi ngắn gọn hơn (dưới {limit} ký tự) "
                  "để em tra cứu chính xác ạ.")
UNAVAILABLE_REPLY = ("Xin lỗi anh/chị, hệ thống đang bận nên em chưa trả lời được. Câu hỏi của anh/chị đã được "
                     "ghi lại; anh/chị vui lòng thử lại sau ít phút hoặc gọi tổng đài 1800 1096 ạ.")
NOTHING_TO_SAY_REPLY = ("Dạ, em đã nhận được tin nhắn của anh/chị. Anh/chị cần hỏi về thủ tục hành chính nào ạ? "
                        "Ví dụ: \"đăng ký khai sinh cần giấy tờ gì\" hoặc \"lệ phí làm hộ chiếu bao nhiêu\".")
STALE_CHOICE_REPLY = ("Dạ, lựa chọn này không còn dùng được. Anh/chị vui lòng nhập lại câu hỏi "
                      "về thủ tục cần tra cứu ạ.")
ATTACHMENT_REPLY = ("Dạ, em đã nhận được {what} của anh/chị, nhưng em chỉ đọc được tin nhắn chữ. Anh/chị vui lòng "
                    "nhập câu hỏi về thủ tục hành chính, ví dụ: \"làm lại căn cước bị mất cần giấy tờ gì\" ạ.")
TOO_FAST_REPLY = ("Anh/chị gửi tin nhắn quá nhanh. Em sẽ trả lời tiếp sau khoảng một phút; anh/chị vui lòng "
                  "chờ giây lát rồi gửi lại câu hỏi ạ.")
GREETING_INTENT = "greet"
PHOTO_LOOKUP = "tra cứu hồ sơ {code}"      # a code read from a photo goes on as if the citizen had typed this
logger = logging.getLogger(__name__)     # what happened, never the words: those go to the conversation log

_LEADING_COMMAND = re.compile(r"^[\s/]+")
_MENU_NUMBER = re.compile(r"^(?:số|so|chọn|chon)?\s*(\d{1,2})\s*[.)]?$", re.IGNORECASE)


def as_words(text: str) -> str:
    """Citizen text for the dialogue engine: never an intent payload (`/intent{…}` is read as the words)."""
    return _LEADING_COMMAND.sub("", text)


class Gateway:
    """Inbound handling shared by all channels. `numbered_channels` show choices as numbered options, so a typed
    number picks one."""

    def __init__(self, dialogue: RasaDialogue, log: ConversationLog, choices: ChoiceStore, max_chars: int,
                 numbered_channels: frozenset[str] = frozenset(), handover: HandoverDesk | None = None,
                 rate_limit: Limiter | None = None, max_photo_bytes: int = 10 * 1024 * 1024) -> None:
        self._dialogue = dialogue
        # Messenger channels (Zalo, Telegram) cannot answer 429: a conversation over its limit is told once per
        # minute, and its messages are only logged. Web chat is limited at the HTTP route instead.
        self._rate_limit = rate_limit
        self._told_too_fast = SlidingWindowLimiter(1)
        self._log = log
        self._choices = choices
        self._max_chars = max_chars
        self._numbered = numbered_channels
        self._handover = handover
        self._max_photo_bytes = max_photo_bytes
        self._locks = KeyedLocks()

    async def is_held(self, message: InboundMessage) -> bool:
        """An officer holds this conversation: the assistant says nothing, not even "typing…"."""
        return self._handover is not None and await self._handover.held(message.channel, message.sender_id)

    async def handle(self, message: InboundMessage) -> list[Reply]:
        """Replies to `message`: never empty, unless an officer holds the conversation (then the message is only
        logged, for the officer to read), also when the officer claimed it while the reply was being made.
        Messages of one conversation are handled one at a time."""
        logger.info("message in", extra={"channel": message.channel, "event": message.event,
                                         "chars": len(message.text), "picked": message.payload is not None})
        async with self._locks.hold(message.conversation_id):
            if await self.is_held(message):
                await self._record_in(message, message.text[:self._max_chars] or f"({message.event})")
                return []
            if not await self._within_rate(message):
                await self._record_in(message, message.text[:self._max_chars] or f"({message.event})",
                                      {"rate_limited": True})
                told = self._told_too_fast.allow_now(message.conversation_id)
                return [Reply.plain(TOO_FAST_REPLY)] if told else []
            replies = await self._waiting_contact(message) or await self._handle(message)
            if replies and await self.is_held(message):
                # An officer claimed the conversation while the assistant was thinking: the officer speaks now,
                # the late reply is not delivered.
                logger.info("replies withheld: an officer took over", extra={"channel": message.channel,
                                                                            "replies": len(replies)})
                return []
        for reply in replies:
            await self._log.record(message.channel, message.sender_id, "out", reply_text(reply),
                                   reply.model_dump(exclude_none=True))
        logger.info("replies out", extra={"channel": message.channel, "replies": len(replies)})
        return replies

    async def _within_rate(self, message: InboundMessage) -> bool:
        return self._rate_limit is None or message.channel == "web" or \
            await self._rate_limit.allow(message.conversation_id)

    async def _handle(self, message: InboundMessage) -> list[Reply]:
        if message.event == "start":
            await self._record_in(message, "(bắt đầu trò chuyện)")
            return await self._ask(message, intent_message(GREETING_INTENT, {}))
        if message.event == "attachment":
            await self._record_in(message, f"({message.text})")
            return [Reply.plain(ATTACHMENT_REPLY.format(what=message.text))]
        if message.event == "photo":
            return await self._photo(message, message.reading or SlipReading("no_code"))
        choice = await self._picked(message)
        if choice is not None:
            await self._record_in(message, choice.title, {"choice": choice.model_dump(exclude_none=True)})
            if choice.intent:
                return await self._ask(message, intent_message(choice.intent, choice.entities))
            return await self._ask_words(message, choice.text or choice.title)
        if (message.payload is not None and not message.text) or looks_like_token(message.text):
            # a tap on a button we did not issue, or one already used (a menu is spent by its first pick)
            await self._record_in(message, "(lựa chọn không hợp lệ)")
            return [Reply.plain(STALE_CHOICE_REPLY)]
        if len(message.text) > self._max_chars:                       # stored cut: never keep a flood whole
            await self._record_in(message, message.text[:self._max_chars], {"length": len(message.text)})
            return [Reply.plain(TOO_LONG_REPLY.format(limit=self._max_chars))]
        await self._record_in(message, message.text)
        return await self._ask_words(message, message.text)

    async def _photo(self, message: InboundMessage, reading: SlipReading) -> list[Reply]:
        """A code read from a slip photo starts the lookup exactly as if typed; otherwise what to photograph."""
        await self._record_in(message, f"(ảnh phiếu hẹn) {reading.code or ''}".strip(),
                              {"photo": reading.outcome, "source": reading.source})
        if reading.code is not None:
            said = dossier_replies.photo_code_read(reading.code)
            return [said, *await self._ask_words(message, PHOTO_LOOKUP.format(code=reading.code))]
        if reading.outcome == "refused":
            return [dossier_replies.photo_refused(self._max_photo_bytes)]
        if reading.outcome == "too_slow":
            return [dossier_replies.photo_too_slow()]
        return [dossier_replies.photo_without_code()]

    async def _waiting_contact(self, message: InboundMessage) -> list[Reply] | None:
        """A phone number left while waiting for an officer is kept for the officer to call back."""
        if self._handover is None or message.event != "message" or len(message.text) > self._max_chars:
            return None
        noted = await self._handover.note_contact(message.channel, message.sender_id, message.text)
        if noted is None:
            return None
        await self._record_in(message, message.text)
        return [noted]

    async def _picked(self, message: InboundMessage) -> Choice | None:
        """The issued choice this message picks: a tapped token, a web button's token sent back as text, or a
        number typed on a channel that shows numbered options."""
        conversation = message.conversation_id
        token = message.payload or (message.text if looks_like_token(message.text) else None)
        if token:
            return await self._choices.by_token(conversation, token)
        number = _MENU_NUMBER.match(message.text) if message.channel in self._numbered else None
        if number:
            return await self._choices.by_number(conversation, int(number.group(1)))
        return None

    async def _record_in(self, message: InboundMessage, text: str, payload: dict | None = None) -> None:
        await self._log.record(message.channel, message.sender_id, "in", text, payload)

    async def _ask_words(self, message: InboundMessage, text: str) -> list[Reply]:
        words = as_words(text)
        if not words:
            return [Reply.plain(EMPTY_TEXT_REPLY)]
        return await self._ask(message, words)

    async def _ask(self, message: InboundMessage, text: str) -> list[Reply]:
        try:
            replies = await self._dialogue.send(message.conversation_id, text, message.channel)
        except DialogueUnavailable:
            return [Reply.plain(UNAVAILABLE_REPLY)]
        return replies or [Reply.plain(NOTHING_TO_SAY_REPLY)]
