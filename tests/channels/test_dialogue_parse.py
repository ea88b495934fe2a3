"""Rasa REST output (as Rasa 3.6 emits it) becomes reply models: actions' custom payloads whole, domain
responses as text with their buttons as choices."""
from channels.dialogue import intent_message, parse_intent_message, parse_rasa_messages
from replies.model import Checklist, ChecklistItem, Choice, Reply


def test_an_action_reply_arrives_whole_from_its_custom_payload() -> None:
    reply = Reply(title="Thủ tục đăng ký khai sinh", blocks=[Checklist(items=[ChecklistItem(name="Giấy chứng sinh")])],
                  source_url="https://dichvucong.gov.vn/x", procedure_codes=["1.001193"],
                  choices=[Choice(title="Lệ phí", intent="ask_procedure", entities={"aspect": "fee"})])
    raw = [{"recipient_id": "web:a", "custom": reply.model_dump(exclude_none=True)},
           {"recipient_id": "web:a", "text": "Anh/chị cần hỏi thêm gì không ạ?"}]
    parsed = parse_rasa_messages(raw)
    assert parsed[0] == reply
    assert parsed[1] == Reply.plain("Anh/chị cần hỏi thêm gì không ạ?")


def test_domain_buttons_become_choices_and_blank_or_malformed_messages_are_dropped() -> None:
    raw = [{"recipient_id": "web:a", "custom": {"procedure_codes": []}},
           {"recipient_id": "web:a", "custom": {"blocks": [{"type": "nonsense"}]}},
           {"recipient_id": "web:a", "text": ""},
           {"recipient_id": "web:a", "text": "Xin chào anh/chị",
            "buttons": [{"title": "Khai sinh", "payload": "Đăng ký khai sinh cần giấy tờ gì?"},
                        {"title": "Có", "payload": "/affirm"},
                        {"title": "Hồ sơ", "payload": '/ask_dossier_status{"dossier_code":"H45"}'}]}]
    parsed = parse_rasa_messages(raw)
    assert len(parsed) == 1
    assert parsed[0].choices == [Choice(title="Khai sinh", text="Đăng ký khai sinh cần giấy tờ gì?"),
                                 Choice(title="Có", intent="affirm"),
                                 Choice(title="Hồ sơ", intent="ask_dossier_status", entities={"dossier_code": "H45"})]


def test_intent_messages_round_trip() -> None:
    text = intent_message("ask_procedure", {"procedure_code": "1.001193", "aspect": "fee"})
    assert text == '/ask_procedure{"procedure_code":"1.001193","aspect":"fee"}'
    parsed = parse_intent_message(text)
    assert parsed is not None and parsed.intent == "ask_procedure" and parsed.entities["aspect"] == "fee"
    assert intent_message("greet", {}) == "/greet"
    assert parse_intent_message("xin chào") is None and parse_intent_message("/x{broken") is None
