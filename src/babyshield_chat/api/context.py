"""Typed `web.AppKey`s for what the app factory puts on the application.

Handlers read their collaborators from here instead of from globals, so tests
build apps with other collaborators through the same factory.
"""

from __future__ import annotations

from aiohttp import web
from opentelemetry import trace

from babyshield_chat.api.limits import UserLimits
from babyshield_chat.chat.pipeline import ChatPipeline
from babyshield_chat.config import Settings
from babyshield_chat.db.pool import Database
from babyshield_chat.flags.store import OverrideStore
from babyshield_chat.api.identity import Authenticator
from babyshield_chat.api.middleware import RequestState
from babyshield_chat.telemetry import Telemetry

SETTINGS = web.AppKey("settings", Settings)
TRACER = web.AppKey("tracer", trace.Tracer)
TELEMETRY = web.AppKey("telemetry", Telemetry)
DATABASE = web.AppKey("database", Database)
# The live chat flag: env values with the runtime override on top (flags/store.py).
FLAGS = web.AppKey("flags", OverrideStore)
AUTH = web.AppKey("authenticator", Authenticator)
REQUEST_STATE = web.AppKey("request_state", RequestState)
PIPELINE = web.AppKey("pipeline", ChatPipeline)
# Per-user rate limits and in-flight slots of every user endpoint.
USER_LIMITS = web.AppKey("user_limits", UserLimits)
