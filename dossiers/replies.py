"""What the assistant says about dossiers, as channel-neutral replies, in polite Vietnamese. A status reply
shows no more than a verified citizen may see: the name masked, the phone never."""
from __future__ import annotations

from datetime import timedelta

from dossiers.models import Delivery, Dossier, Status
from dossiers.privacy import mask_name
from dossiers.timing import Timing, local_date
from replies.model import Choice, Fact, Facts, Paragraph, Reply

SUBSCRIBE_INTENT = "subscribe_dossier"
PORTAL = "https://dichvucong.gov.vn"
STATUS_LABELS = {
    Status.RECEIVED: "đã tiếp nhận, chờ giải quyết",
    Status.IN_PROGRESS: "đang giải quyết",
    Status.NEED_SUPPLEMENT: "cần bổ sung hồ sơ",
    Status.RESULT_READY: "đã có kết quả",
    Status.RETURNED: "đã trả kết quả",
    Status.REJECTED: "không được giải quyết",
    Status.WITHDRAWN: "đã rút hồ sơ",
}


def _minutes(span: timedelta) -> int:
    return max(1, round(span.total_seconds() / 60))


# The dossier form asks for the code again right after these two (utter_ask_dossier_code says where it is printed).
def no_code_found() -> Reply:
    return Reply.plain("Dạ, em chưa thấy mã hồ sơ trong tin nhắn của anh/chị.")


PHOTO_HINT = ("Anh/chị vui lòng chụp rõ phần mã hồ sơ hoặc mã QR trên phiếu hẹn rồi gửi lại, hoặc gõ mã hồ sơ "
              "(ví dụ H45.22-231015-0012) vào tin nhắn cũng được ạ.")


def photo_code_read(code: str) -> Reply:
    return Reply.plain(f"Dạ, em đọc được mã hồ sơ {code} trên ảnh phiếu hẹn.")


def photo_without_code() -> Reply:
    return Reply.plain(f"Dạ, em chưa đọc được mã hồ sơ trên ảnh này. {PHOTO_HINT}")


def photo_refused(max_bytes: int) -> Reply:
    return Reply.plain("Dạ, em không mở được tệp này như một ảnh chụp phiếu hẹn (chỉ nhận ảnh JPEG, PNG hoặc WebP, "
                       f"dưới {max_bytes // (1024 * 1024)} MB). {PHOTO_HINT}")


def photo_too_slow() -> Reply:
    return Reply.plain(f"Dạ, hệ thống đang bận nên em chưa đọc kịp ảnh này. {PHOTO_HINT}")


def not_found(code: str) -> Reply:
    return Reply.plain(f"Dạ, em không tìm thấy hồ sơ mã {code}. Anh/chị kiểm tra lại giúp em từng ký tự của mã ạ.")


NO_MATCH = "Dạ, mã hồ sơ hoặc số điện thoại chưa khớp."


def no_match(remaining: int) -> Reply:
    """A wrong answer, the same whether the code is unknown or the digits are wrong."""
    return Reply.plain(f"{NO_MATCH} Anh/chị kiểm tra lại mã hồ sơ trên phiếu hẹn và 4 số cuối của số điện thoại đã "
                       f"đăng ký; anh/chị còn {remaining} lần thử ạ.")


def locked(code: str, wait: timedelta) -> Reply:
    return Reply.plain(f"Dạ, để bảo vệ thông tin, việc tra cứu hồ sơ {code} tạm dừng khoảng {_minutes(wait)} phút "
                       "vì đã nhập sai nhiều lần. Anh/chị có thể thử lại sau, hoặc liên hệ bộ phận một cửa nơi đã "
                       "nộp hồ sơ (mang theo phiếu hẹn) để được hỗ trợ ạ.")


def too_many_lookups(wait: timedelta) -> Reply:
    return Reply.plain(f"Dạ, anh/chị đã tra cứu nhiều hồ sơ trong thời gian ngắn. Anh/chị vui lòng thử lại sau "
                       f"khoảng {_minutes(wait)} phút ạ.")


def paused(wait: timedelta) -> Reply:
    return Reply.plain(f"Dạ, để bảo vệ thông tin hồ sơ của người dân, việc tra cứu hồ sơ qua trợ lý ảo đang tạm dừng "
                       f"khoảng {_minutes(wait)} phút. Anh/chị vui lòng thử lại sau, hoặc tra cứu trên Cổng Dịch vụ "
                       f"công {PORTAL} (mục \"Tra cứu hồ sơ\") ạ.")


def source_unavailable() -> Reply:
    return Reply.plain("Dạ, hệ thống tra cứu hồ sơ đang bận nên em chưa tra được. Anh/chị vui lòng thử lại sau ít "
                       f"phút hoặc tra cứu trên Cổng Dịch vụ công {PORTAL} (mục \"Tra cứu hồ sơ\") ạ.")


def verify_first(code: str) -> Reply:
    return Reply.plain(f"Dạ, anh/chị cần xác nhận 4 số cuối số điện thoại của hồ sơ {code} trước. Anh/chị hỏi lại "
                       "\"tra cứu hồ sơ\" để em hướng dẫn ạ.")


def subscribed(code: str, already: bool) -> Reply:
    if already:
        text = f"Dạ, em vẫn đang theo dõi hồ sơ {code} và sẽ báo anh/chị khi có thay đổi."
    else:
        text = (f"Dạ, em sẽ báo anh/chị ngay trên kênh này khi hồ sơ {code} có thay đổi (chuyển khâu, cần bổ sung, "
                "có kết quả).")
    return Reply.plain(text + " Muốn dừng, anh/chị nhắn \"hủy theo dõi\" ạ.")


def unsubscribed(count: int) -> Reply:
    if count == 0:
        return Reply.plain("Dạ, hiện em không theo dõi hồ sơ nào cho anh/chị ạ.")
    return Reply.plain("Dạ, em đã dừng gửi thông báo về hồ sơ cho anh/chị. Khi cần, anh/chị cứ nhắn mã hồ sơ để "
                       "tra cứu ạ.")


def _next_step(dossier: Dossier) -> str:
    office = dossier.current_office
    if dossier.status is Status.NEED_SUPPLEMENT:
        missing = f" {dossier.note.rstrip('.')}." if dossier.note else ""
        return (f"Hồ sơ cần bổ sung giấy tờ.{missing} Anh/chị vui lòng mang giấy tờ bổ sung cùng phiếu hẹn đến "
                f"{office} ạ.")
    if dossier.status is Status.RESULT_READY:
        if dossier.delivery_method is Delivery.BY_POST:
            return "Kết quả đang được gửi qua bưu điện đến địa chỉ anh/chị đã đăng ký ạ."
        if dossier.delivery_method is Delivery.ONLINE:
            return (f"Anh/chị xem và tải kết quả trên Cổng Dịch vụ công {PORTAL} (mục \"Tra cứu hồ sơ\") bằng "
                    "tài khoản đã nộp hồ sơ ạ.")
        return (f"Anh/chị mang phiếu hẹn và giấy tờ tùy thân đến {office} để nhận kết quả ạ.")
    if dossier.status is Status.REJECTED:
        reason = f" Lý do: {dossier.note.rstrip('.')}." if dossier.note else ""
        return f"Hồ sơ không được giải quyết.{reason} Anh/chị có thể liên hệ {office} để được hướng dẫn ạ."
    if dossier.status is Status.RETURNED:
        return "Hồ sơ đã hoàn tất và đã trả kết quả cho anh/chị ạ."
    if dossier.status is Status.WITHDRAWN:
        return "Hồ sơ đã được rút theo đề nghị của người nộp ạ."
    return "Hồ sơ đang được giải quyết, anh/chị chưa cần làm gì thêm ạ."


def _lateness(timing: Timing) -> list[str]:
    lines = []
    if timing.stage is not None and timing.stage_late_days:
        lines.append(f"Hồ sơ đang chậm {timing.stage_late_days} ngày ở khâu {timing.stage.name.lower()} "
                     f"({timing.stage.office}).")
    if timing.overdue_days:
        lines.append(f"Hồ sơ đã quá hạn {timing.overdue_days} ngày so với ngày hẹn trả kết quả.")
    if lines:
        lines.append("Em xin lỗi anh/chị về sự chậm trễ này; cơ quan giải quyết sẽ có văn bản xin lỗi và hẹn lại "
                     "ngày trả kết quả theo quy định.")
    return lines


def status_reply(dossier: Dossier, procedure_name: str | None, timing: Timing, update: bool = False) -> Reply:
    """The status of a dossier for its verified owner (`update`: told unasked, after a change)."""
    facts = [Fact(label="Thủ tục", value=procedure_name or dossier.procedure_code),
             Fact(label="Người nộp", value=mask_name(dossier.applicant_name)),
             Fact(label="Tình trạng", value=STATUS_LABELS[dossier.status])]
    if timing.stage is not None:
        facts.append(Fact(label="Đang ở khâu", value=f"{timing.stage.name} — {timing.stage.office}"))
    else:
        facts.append(Fact(label="Cơ quan giải quyết", value=dossier.current_office))
    facts += [Fact(label="Ngày tiếp nhận", value=local_date(dossier.received_at)),
              Fact(label="Hẹn trả kết quả", value=local_date(timing.due_at))]
    blocks = [Paragraph(text=("Dạ, hồ sơ của anh/chị vừa có cập nhật:" if update
                              else "Dạ, em gửi anh/chị tình trạng hồ sơ:")),
              Facts(items=facts)]
    blocks += [Paragraph(text=line) for line in _lateness(timing)]
    blocks.append(Paragraph(text=_next_step(dossier)))
    open_ = timing.stage is not None or dossier.status in (Status.RECEIVED, Status.IN_PROGRESS, Status.NEED_SUPPLEMENT)
    choices = [] if update or not open_ else [
        Choice(title="Báo cho tôi khi có kết quả", intent=SUBSCRIBE_INTENT, entities={"dossier_code": dossier.code})]
    return Reply(title=f"Hồ sơ {dossier.code}", blocks=blocks, choices=choices,
                 procedure_codes=[dossier.procedure_code])
