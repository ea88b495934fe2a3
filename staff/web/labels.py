"""Vietnamese labels the console shows for catalogue and dossier values."""
from __future__ import annotations

from dossiers.models import Delivery, Status
from dossiers.replies import STATUS_LABELS

SOURCE_GROUPS = {
    "bo-cong-an": "Bộ Công an",
    "bo-tu-phap": "Bộ Tư pháp",
    "bo-tai-chinh": "Bộ Tài chính",
    "bo-xay-dung": "Bộ Xây dựng",
    "bo-nong-nghiep-mt": "Bộ Nông nghiệp và Môi trường",
    "ngan-hang-nha-nuoc": "Ngân hàng Nhà nước",
    "toa-an-nhan-dan": "Tòa án nhân dân",
}
LEVELS = ("Cấp xã", "Cấp tỉnh", "Cấp bộ", "Cơ quan khác")
DELIVERY = {Delivery.AT_CENTRE: "Nhận tại bộ phận một cửa", Delivery.BY_POST: "Qua bưu chính",
            Delivery.ONLINE: "Trực tuyến"}
STATUS = {s: STATUS_LABELS[s][:1].upper() + STATUS_LABELS[s][1:] for s in Status}
# What changed in a dossier's history entry (the store's field names).
CHANGES = {"created": "tạo mới", "procedure_code": "thủ tục", "applicant_name": "người nộp", "phone": "số điện thoại",
           "received_at": "ngày tiếp nhận", "due_at": "hạn trả kết quả", "status": "tình trạng",
           "current_office": "cơ quan xử lý", "delivery_method": "hình thức nhận kết quả", "note": "ghi chú",
           "stages": "các khâu"}
