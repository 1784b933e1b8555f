"""Endpoints: track, batch-track."""

from fastapi import APIRouter

router = APIRouter(prefix="/analytics")
