"""The assistant: question understanding, record selection, answer composing, sessions, channels."""
