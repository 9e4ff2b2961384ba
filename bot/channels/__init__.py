"""Chat channel adapters (Telegram, Zalo): thin layers over Assistant.answer()."""
