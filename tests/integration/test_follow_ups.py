"""A real conversation through POST /api/chat with the real Rasa server: follow-ups stay on the procedure in focus,
a yes/no question about one detail gets its verdict from the record, a situation narrows to the right variant, a
named procedure moves the focus, and a dossier's status puts its procedure in focus."""
from __future__ import annotations

import pytest

from knowledge_base.catalogue.models import Procedure
from knowledge_base.service import load_procedures
from scripts.stack import Stack
from tests.integration.test_conversation import WebChat
from tests.integration.test_dossier_conversation import dossier, text_of  # noqa: F401  (fixture)


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Procedure]:
    return {p.code: p for p in load_procedures()}


def answer(messages: list[dict]) -> tuple[str, str]:
    """(the procedure the first bubble is about, its text)."""
    first = messages[0]
    assert first["procedure_codes"], first["text"]
    return first["procedure_codes"][0], first["text"]


def verdict_line(text: str) -> str:
    """The first line after the title: where the verdict stands."""
    return [line for line in text.split("\n") if line.strip()][1]


def opened(stack: Stack, question: str) -> tuple[WebChat, str]:
    web = WebChat(stack)
    code, _ = answer(web.say(question))
    return web, code


def test_online_follow_up_stays_on_the_lost_card_and_answers_from_its_channels(stack: Stack, catalogue) -> None:
    web, code = opened(stack, "làm lại căn cước bị mất cần giấy tờ gì")
    assert catalogue[code].name.lower().startswith("cấp lại thẻ căn cước")
    again, text = answer(web.say("nộp online được không"))
    online = [r for r in catalogue[code].channels if r.channel == "Trực tuyến"]
    assert again == code and online
    assert verdict_line(text).startswith("Dạ có") and f"Trực tuyến: thời hạn {online[0].time_text}" in text


def test_a_paper_not_in_the_list_is_said_so_with_the_list(stack: Stack, catalogue) -> None:
    web, code = opened(stack, "làm lại căn cước bị mất cần giấy tờ gì")
    again, text = answer(web.say("có cần ảnh thẻ không"))
    assert again == code and not any("ảnh" in d.name.lower() for d in catalogue[code].documents)
    assert verdict_line(text).startswith("Dạ không: “ảnh thẻ” không có trong thành phần hồ sơ")
    assert "Phiếu đề nghị giải quyết thủ tục về căn cước" in text           # ... followed by the list


def test_re_registration_narrows_marriage_to_its_variant(stack: Stack, catalogue) -> None:
    web, first = opened(stack, "đăng ký kết hôn cần giấy tờ gì")
    code, text = answer(web.say("à mà em đăng ký lại chứ không phải lần đầu"))
    name = catalogue[code].name.lower()
    assert code != first and "đăng ký lại kết hôn" in name and "nước ngoài" not in name
    assert "Giấy chứng nhận kết hôn" in text                                   # still the documents asked for


def test_a_foreign_spouse_narrows_marriage_to_the_foreign_element_variant(stack: Stack, catalogue) -> None:
    web, first = opened(stack, "đăng ký kết hôn cần giấy tờ gì")
    code, _ = answer(web.say("vợ em là người nước ngoài thì sao"))
    name = catalogue[code].name.lower()
    assert "kết hôn có yếu tố nước ngoài" in name and "lại" not in name.split("kết hôn")[0]


def test_proxy_question_is_answered_on_temporary_residence_as_the_record_allows(stack: Stack, catalogue) -> None:
    web, code = opened(stack, "đăng ký tạm trú làm như thế nào")
    again, text = answer(web.say("người khác đi làm thay được không"))
    record = " ".join(d.name for d in catalogue[code].documents) + " ".join(catalogue[code].steps)
    assert again == code and "ủy quyền" not in record.lower()
    # The record does not say: the assistant says so, and never guesses a yes or a no.
    assert "không nêu việc người khác nộp hồ sơ thay" in text and not verdict_line(text).startswith(("Dạ có", "Dạ được"))


def test_household_book_is_never_a_paper_to_bring(stack: Stack) -> None:
    web, code = opened(stack, "đăng ký tạm trú làm như thế nào")
    again, text = answer(web.say("có phải mang sổ hộ khẩu không"))
    assert again == code and verdict_line(text).startswith("Dạ không")
    assert "01/01/2023" in text


def test_a_named_procedure_moves_the_focus_and_the_next_follow_up_follows_it(stack: Stack, catalogue) -> None:
    web, first = opened(stack, "lam lai cccd bi mat can giay to gi")
    moved, _ = answer(web.say("còn làm hộ chiếu thì sao"))
    assert moved != first and "hộ chiếu" in catalogue[moved].name.lower()
    after, text = answer(web.say("mất bao lâu"))
    assert after == moved and "thời hạn giải quyết" in text


def test_after_a_dossier_status_this_procedure_means_the_dossiers(stack: Stack, dossier: str) -> None:  # noqa: F811
    web = WebChat(stack)
    web.say(f"tra cứu hồ sơ {dossier}")
    assert f"Hồ sơ {dossier}" in text_of(web.say("4821"))
    code, text = answer(web.say("thủ tục này cần giấy tờ gì"))
    assert code == "1.001193" and "Giấy chứng sinh" in text
