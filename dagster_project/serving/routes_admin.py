"""Endpoints: health, system status, admin cleanup and recalculate."""

from fastapi import APIRouter

router = APIRouter(prefix="/analytics")
