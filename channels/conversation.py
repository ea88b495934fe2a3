"""The one path every channel takes: log inbound, ask the dialogue engine, log replies."""
from __future__ import annotations

from channels.dialogue import DialogueUnavailable
from channels.schemas import InboundMessage, OutboundMessage
from channels.services import Services

EMPTY_TEXT_REPLY = "Anh/chị vui lòng nhập câu hỏi về thủ tục hành chính ạ."
TOO_LONG_REPLY = ("Tin nhắn hơi dài, anh/chị vui lòng gửi câu hỏi ngắn gọn hơn (dưới {limit} ký tự) "
                  "để em tra cứu chính xác ạ.")
UNAVAILABLE_REPLY = ("Xin lỗi anh/chị, hệ thống đang bận nên em chưa trả lời được. Câu hỏi của anh/chị đã được "
                     "ghi lại; anh/chị vui lòng thử lại sau ít phút hoặc gọi tổng đài 1800 1096 ạ.")


async def handle_message(services: Services, message: InboundMessage) -> list[OutboundMessage]:
    store = services.conversations
    store.record(message.channel, message.sender_id, "in", message.text)
    limit = services.settings.max_message_chars
    if not message.text:
        replies = [OutboundMessage(text=EMPTY_TEXT_REPLY)]
    elif len(message.text) > limit:
        replies = [OutboundMessage(text=TOO_LONG_REPLY.format(limit=limit))]
    else:
        try:
            replies = await services.dialogue.send(message)
        except DialogueUnavailable:
            replies = [OutboundMessage(text=UNAVAILABLE_REPLY)]
    for reply in replies:
        store.record(message.channel, message.sender_id, "out", reply.text, reply.model_dump())
    return replies
