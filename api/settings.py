"""The service's settings, for code in api/ that still imports them from here; the class is ``config.settings``."""

from config.settings import Settings

__all__ = ["Settings"]
