"""Every 金城荟 router, in the order they are mounted (fixed paths before ``/merchants/{merchant_id}``)."""

from __future__ import annotations

from fastapi import APIRouter

from app.merchants.offers_router import router as offers_router
from app.merchants.reviews_router import router as reviews_router
from app.merchants.router import router as merchants_router

routers: list[APIRouter] = [offers_router, reviews_router, merchants_router]
