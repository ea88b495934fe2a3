"""Rasa REST output (as Rasa 3.6 emits it) becomes the chat API's reply bubbles."""
from channels.dialogue import merge_rasa_messages


def test_custom_payload_is_folded_into_the_text_before_it() -> None:
    raw = [
        {"recipient_id": "web:a", "text": "Thủ tục đăng ký khai sinh…",
         "buttons": [{"title": "Lệ phí", "payload": "/ask_procedure{\"aspect\":\"fee\"}"}]},
        {"recipient_id": "web:a", "custom": {"procedure_codes": ["1.001193"]}},
        {"recipient_id": "web:a", "text": "Anh/chị cần hỏi thêm gì không ạ?"},
    ]
    messages = merge_rasa_messages(raw)
    assert [m.text for m in messages] == ["Thủ tục đăng ký khai sinh…", "Anh/chị cần hỏi thêm gì không ạ?"]
    assert messages[0].procedure_codes == ["1.001193"]
    assert messages[0].buttons[0].payload == "/ask_procedure{\"aspect\":\"fee\"}"
    assert messages[1].procedure_codes == []


def test_empty_custom_and_blank_messages_are_dropped() -> None:
    raw = [{"recipient_id": "web:a", "custom": {"procedure_codes": []}},
           {"recipient_id": "web:a", "text": ""},
           {"recipient_id": "web:a", "text": "Xin chào anh/chị"}]
    messages = merge_rasa_messages(raw)
    assert [m.text for m in messages] == ["Xin chào anh/chị"]
