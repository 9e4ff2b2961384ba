"""Fake external services (Telegram Bot API, Zalo OpenAPI/OAuth) as real HTTP servers on 127.0.0.1."""
