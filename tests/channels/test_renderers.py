"""One reply model, rendered per channel within each channel's limits (properties checked with Hypothesis)."""
from __future__ import annotations

import html
import re

from hypothesis import given, settings, strategies as st

from channels.render.split import split_text
from channels.telegram.render import MAX_CALLBACK_BYTES, MAX_MESSAGE_CHARS as TELEGRAM_MAX, render_telegram
from channels.web.render import render_web
from channels.zalo.render import MAX_MESSAGE_CHARS as ZALO_MAX, render_zalo
from replies.model import Checklist, ChecklistItem, Choice, Facts, Fact, Paragraph, Reply, Steps
from replies.text import reply_text

ANSWER = Reply(
    title="Thủ tục đăng ký khai sinh (cấp xã)",
    blocks=[Paragraph(text="Dạ, hồ sơ anh/chị cần chuẩn bị gồm:"),
            Checklist(title="Giấy tờ phải nộp", items=[ChecklistItem(name="Giấy chứng sinh", quantity="1 bản chính"),
                                                       ChecklistItem(name="Tờ khai", quantity="1 bản chính",
                                                                     form="TK1 <mẫu>")]),
            Facts(items=[Fact(label="Trực tuyến", value="Miễn phí")]),
            Steps(items=["Nộp hồ sơ", "Nhận kết quả"])],
    source_url="https://dichvucong.gov.vn/p/home/dvc-tthc-thu-tuc-hanh-chinh-chi-tiet.html?ma_thu_tuc=1.001193",
    choices_prompt="Nếu anh/chị hỏi về thủ tục khác, có thể là một trong các thủ tục sau:",
    choices=[Choice(title="Đăng ký kết hôn (cấp xã)", intent="ask_procedure",
                    entities={"procedure_code": "1.000894", "aspect": "documents"}),
             Choice(title="Đăng ký khai tử (cấp xã)", intent="ask_procedure",
                    entities={"procedure_code": "1.000656", "aspect": "documents"})],
    procedure_codes=["1.001193"],
)
TOKENS = ["c_AAAAAAAAAAAA", "c_BBBBBBBBBBBB"]
words = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_plain_text_reads_as_a_checklist_with_the_source_and_prompt() -> None:
    text = reply_text(ANSWER)
    assert text.startswith("Thủ tục đăng ký khai sinh (cấp xã)\n\nDạ, hồ sơ anh/chị cần chuẩn bị gồm:\n\n▸ Giấy tờ")
    assert "☐ Giấy chứng sinh — 1 bản chính" in text and "• Trực tuyến: Miễn phí" in text and "2. Nhận kết quả" in text
    assert text.endswith("Nguồn: " + ANSWER.source_url + "\n\n" + ANSWER.choices_prompt)


def test_web_keeps_the_stage_one_contract_with_opaque_payloads() -> None:
    message, = render_web(ANSWER, TOKENS)
    assert set(message) == {"text", "buttons", "procedure_codes"}
    assert message["text"] == reply_text(ANSWER)
    assert message["buttons"] == [{"title": "Đăng ký kết hôn (cấp xã)", "payload": TOKENS[0]},
                                  {"title": "Đăng ký khai tử (cấp xã)", "payload": TOKENS[1]}]
    assert message["procedure_codes"] == ["1.001193"]


def test_zalo_shows_numbered_choices_in_plain_text() -> None:
    messages = render_zalo(ANSWER, TOKENS)
    text = messages[-1]["text"]
    assert "1. Đăng ký kết hôn (cấp xã)\n2. Đăng ký khai tử (cấp xã)" in text
    assert "trả lời bằng số (từ 1 đến 2)" in text
    assert not any(t in m["text"] for m in messages for t in TOKENS)


def test_zalo_splits_a_long_answer_on_line_boundaries() -> None:
    items = [ChecklistItem(name=f"Giấy tờ số {i} " + "rất dài " * 20, quantity="1 bản sao") for i in range(40)]
    messages = render_zalo(Reply(title="Thủ tục dài", blocks=[Checklist(items=items)]), [])
    assert len(messages) > 1 and all(len(m["text"]) <= ZALO_MAX for m in messages)
    assert all(line.startswith(("☐", "Thủ tục")) for m in messages for line in m["text"].split("\n") if line)


def test_telegram_escapes_html_links_the_source_and_keeps_callbacks_short() -> None:
    reply = ANSWER.model_copy(update={"title": "<script>alert(1)</script> & co"})
    messages = render_telegram(reply, TOKENS)
    text = messages[0]["text"]
    assert "<b>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</b>" in text
    assert "<script>" not in text and "TK1 &lt;mẫu&gt;" in text
    assert f'<a href="{html.escape(ANSWER.source_url)}">dichvucong.gov.vn</a>' in text
    keyboard = messages[-1]["keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == TOKENS
    assert all(len(row[0]["callback_data"].encode()) <= MAX_CALLBACK_BYTES for row in keyboard)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=3000), limit=st.integers(min_value=1, max_value=500))
def test_split_text_respects_the_limit_and_keeps_every_character(text: str, limit: int) -> None:
    parts = split_text(text, limit)
    assert all(0 < len(p) <= limit for p in parts)
    assert squash("".join(parts)) == squash(text)


@settings(max_examples=100, deadline=None)
@given(title=words, paragraphs=st.lists(st.text(max_size=6000), max_size=4),
       bullets=st.lists(words, max_size=30))
def test_every_channel_stays_within_its_limits_for_any_content(title: str, paragraphs: list[str],
                                                               bullets: list[str]) -> None:
    reply = Reply(title=title or None, blocks=[Paragraph(text=p) for p in paragraphs] + [Steps(items=bullets)],
                  choices=[Choice(title="Lựa chọn", text="x")])
    telegram = render_telegram(reply, ["c_AAAAAAAAAAAA"])
    assert telegram and all(len(m["text"]) <= TELEGRAM_MAX for m in telegram)
    assert all("<script" not in m["text"].lower() for m in telegram)
    zalo = render_zalo(reply, ["c_AAAAAAAAAAAA"])
    assert zalo and all(len(m["text"]) <= ZALO_MAX for m in zalo)
    assert squash("".join(m["text"] for m in zalo)).startswith(squash(reply_text(reply)))
