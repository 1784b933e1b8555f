"""Endpoints: content analyze, platform insights, recommendations, compare, dashboard, realtime."""

from fastapi import APIRouter

router = APIRouter(prefix="/analytics")
