"""SRU at /sru."""

from fastapi import APIRouter

router = APIRouter(tags=["SRU"])
