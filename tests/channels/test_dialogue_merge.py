"""Rasa REST output (as Rasa 3.6 emits it) becomes the chat API's reply bubbles."""
from channels.dialogue import merge_rasa_messages


def test_action_reply_arrives_whole_from_its_custom_payload() -> None:
    text = "📋 Thủ tục đăng ký khai sinh\n\n☐ Giấy chứng sinh\n\nNguồn: https://dichvucong.gov.vn/x"
    raw = [
        {"recipient_id": "web:a", "custom": {
            "text": text, "procedure_codes": ["1.001193"],
            "buttons": [{"title": "Lệ phí", "payload": "/ask_procedure{\"aspect\":\"fee\"}"}]}},
        {"recipient_id": "web:a", "text": "Anh/chị cần hỏi thêm gì không ạ?"},
    ]
    messages = merge_rasa_messages(raw)
    assert [m.text for m in messages] == [text, "Anh/chị cần hỏi thêm gì không ạ?"]
    assert messages[0].procedure_codes == ["1.001193"]
    assert messages[0].buttons[0].payload == "/ask_procedure{\"aspect\":\"fee\"}"
    assert messages[1].procedure_codes == []


def test_domain_response_with_buttons_and_blank_messages() -> None:
    raw = [{"recipient_id": "web:a", "custom": {"procedure_codes": []}},
           {"recipient_id": "web:a", "text": ""},
           {"recipient_id": "web:a", "text": "Xin chào anh/chị",
            "buttons": [{"title": "Khai sinh", "payload": "Đăng ký khai sinh cần giấy tờ gì?"}]}]
    messages = merge_rasa_messages(raw)
    assert [m.text for m in messages] == ["Xin chào anh/chị"]
    assert messages[0].buttons[0].title == "Khai sinh"
