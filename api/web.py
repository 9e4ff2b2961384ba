"""web routes (filled in by their own change)."""

from fastapi import APIRouter

router = APIRouter()
