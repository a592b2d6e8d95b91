"""A typed Python client of the twinstudio REST API (``/api/v1``), sync and async.

    from twinstudio.client import Client, RightsRefused

    with Client("http://127.0.0.1:8000", api_key) as client:
        for licence in client.licences.iter(state="active"):
            print(licence.id, licence.terms.channels)
        try:
            client.campaigns.create(brief)
        except RightsRefused as refused:
            print(refused.codes)

One attribute per resource (``me``, ``organisations``, ``talents``, ``twins``,
``consents``, ``releases``, ``licences``, ``proposals``, ``policy``, ``garments``,
``campaigns``, ``assets``, ``statements``, ``reviews``, ``notices``, ``models``,
``audit``, ``webhooks``) and ``verify(image)``. Answers are the API's own pydantic schemas
(``twinstudio.api.schemas`` and its siblings). ``list`` gives one ``Page``; ``iter``
every item, page after page. Errors are one class per error type of the API's envelope
(``errors.py``); idempotent calls are retried with backoff (``_core.py``; a call is
described in ``_calls.py``).
"""

from twinstudio.api.schemas import Page
from twinstudio.client._async import AsyncClient
from twinstudio.client._core import IDEMPOTENCY_HEADER
from twinstudio.client._sync import Client
from twinstudio.client.errors import (
    ApiError,
    Busy,
    ClientError,
    Conflict,
    IntegrityError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    Reason,
    RightsRefused,
    ServerError,
    Timeout,
    TooLarge,
    TooManyAttempts,
    TransportError,
    Unauthenticated,
)

__all__ = [
    "IDEMPOTENCY_HEADER",
    "ApiError",
    "AsyncClient",
    "Busy",
    "Client",
    "ClientError",
    "Conflict",
    "IntegrityError",
    "InvalidInput",
    "InvalidTransition",
    "NotFound",
    "Page",
    "PermissionDenied",
    "Reason",
    "RightsRefused",
    "ServerError",
    "Timeout",
    "TooLarge",
    "TooManyAttempts",
    "TransportError",
    "Unauthenticated",
]
