"""Configuration shared by every layer: one pydantic-settings ``Settings`` (env prefix ``CCHC_``)."""
