"""Repositories: domain objects in, domain objects out. No business rules here.

One module per concern: ``parties`` (talents, organisations, twins), ``rights`` (consents,
biometric releases, licences, audit chain), ``ledger``, ``assets`` (assets, marks, asset
details and publications, biometric store), ``generation`` (garments, body twins,
campaigns, jobs), ``models`` (the model registry), ``likeness`` (likeness reviews,
look-alikes, notices), ``proposals`` (licence proposals) ``accounts`` (users, API keys,
web sessions, sign-in attempts) and ``webhooks`` (endpoints, outbox, deliveries,
Idempotency-Key answers); ``_base`` holds the shared base class and row helpers. The
unit of work
(``store.uow``) builds them all."""

from __future__ import annotations

from twinstudio.store.repositories.accounts import (
    SqlApiKeyRepository,
    SqlSignInAttemptRepository,
    SqlUserRepository,
    SqlWebSessionRepository,
)
from twinstudio.store.repositories.assets import (
    SqlAssetDetailRepository,
    SqlAssetRepository,
    SqlBiometricStore,
    SqlMarkRepository,
)
from twinstudio.store.repositories.generation import (
    SqlCampaignRepository,
    SqlGarmentRepository,
    SqlJobRepository,
    SqlTwinBodyRepository,
)
from twinstudio.store.repositories.ledger import SqlLedger
from twinstudio.store.repositories.likeness import (
    SqlLikenessReviewRepository,
    SqlLookalikeRepository,
    SqlNoticeRepository,
)
from twinstudio.store.repositories.models import SqlModelRepository
from twinstudio.store.repositories.parties import (
    SqlOrganisationRepository,
    SqlTalentRepository,
    SqlTwinRepository,
)
from twinstudio.store.repositories.proposals import SqlLicenceProposalRepository
from twinstudio.store.repositories.rights import (
    SqlAuditLog,
    SqlBiometricReleaseRepository,
    SqlConsentRepository,
    SqlLicenceRepository,
)
from twinstudio.store.repositories.training import SqlTrainingRepository
from twinstudio.store.repositories.webhooks import SqlIdempotencyRepository, SqlWebhookRepository

__all__ = [
    "SqlApiKeyRepository",
    "SqlAssetDetailRepository",
    "SqlAssetRepository",
    "SqlAuditLog",
    "SqlBiometricReleaseRepository",
    "SqlBiometricStore",
    "SqlCampaignRepository",
    "SqlConsentRepository",
    "SqlGarmentRepository",
    "SqlIdempotencyRepository",
    "SqlJobRepository",
    "SqlLedger",
    "SqlLicenceProposalRepository",
    "SqlLicenceRepository",
    "SqlLikenessReviewRepository",
    "SqlLookalikeRepository",
    "SqlMarkRepository",
    "SqlModelRepository",
    "SqlNoticeRepository",
    "SqlOrganisationRepository",
    "SqlSignInAttemptRepository",
    "SqlTalentRepository",
    "SqlTrainingRepository",
    "SqlTwinBodyRepository",
    "SqlTwinRepository",
    "SqlUserRepository",
    "SqlWebSessionRepository",
    "SqlWebhookRepository",
]
