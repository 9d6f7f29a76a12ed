"""OAI-PMH 2.0 at /oai."""

from fastapi import APIRouter

router = APIRouter(tags=["OAI-PMH"])
