"""The REST API (``/api/v1``): FastAPI, one router per resource, thin routes over the
services, every route through the tenant-isolation helper (``services.access``)."""

from twinstudio.api.app import create_api

__all__ = ["create_api"]
