"""Endpoints: JSON, CSV and Excel exports (streamed)."""

from fastapi import APIRouter

router = APIRouter(prefix="/analytics")
