"""Unit of work over one database transaction: rolls back unless ``commit()`` was called.
A commit that appended audit events hands the chain's new head to the anchors (signed
checkpoints outside the database), when the unit of work has them."""

from __future__ import annotations

from typing import Self

from sqlalchemy import Connection, Engine

from twinstudio.services.ports import AuditAnchors
from twinstudio.store.repositories import (
    SqlApiKeyRepository,
    SqlAssetDetailRepository,
    SqlAssetRepository,
    SqlAuditLog,
    SqlBiometricReleaseRepository,
    SqlBiometricStore,
    SqlCampaignRepository,
    SqlConsentRepository,
    SqlGarmentRepository,
    SqlIdempotencyRepository,
    SqlJobRepository,
    SqlLedger,
    SqlLicenceProposalRepository,
    SqlLicenceRepository,
    SqlLikenessReviewRepository,
    SqlLookalikeRepository,
    SqlMarkRepository,
    SqlModelRepository,
    SqlNoticeRepository,
    SqlOrganisationRepository,
    SqlSignInAttemptRepository,
    SqlTalentRepository,
    SqlTrainingRepository,
    SqlTwinBodyRepository,
    SqlTwinRepository,
    SqlUserRepository,
    SqlWebhookRepository,
    SqlWebSessionRepository,
)


class SqlUnitOfWork:
    def __init__(self, engine: Engine, anchors: AuditAnchors | None = None) -> None:
        self._engine = engine
        self._anchors = anchors
        self._connection: Connection | None = None
        self._committed = False

    def __enter__(self) -> Self:
        self._connection = self._engine.connect()
        self._connection.begin()
        self._committed = False
        c = self._connection
        self.talents = SqlTalentRepository(c)
        self.organisations = SqlOrganisationRepository(c)
        self.twins = SqlTwinRepository(c)
        self.consents = SqlConsentRepository(c)
        self.releases = SqlBiometricReleaseRepository(c)
        self.licences = SqlLicenceRepository(c)
        self.audit = SqlAuditLog(c)
        self.ledger = SqlLedger(c)
        self.assets = SqlAssetRepository(c)
        self.marks = SqlMarkRepository(c)
        self.biometrics = SqlBiometricStore(c)
        self.garments = SqlGarmentRepository(c)
        self.bodies = SqlTwinBodyRepository(c)
        self.campaigns = SqlCampaignRepository(c)
        self.jobs = SqlJobRepository(c)
        self.asset_details = SqlAssetDetailRepository(c)
        self.reviews = SqlLikenessReviewRepository(c)
        self.lookalikes = SqlLookalikeRepository(c)
        self.notices = SqlNoticeRepository(c)
        self.models = SqlModelRepository(c)
        self.proposals = SqlLicenceProposalRepository(c)  # licence proposals (issue 19)
        self.webhooks = SqlWebhookRepository(c)  # webhooks and their outbox (issue 20)
        self.idempotency = SqlIdempotencyRepository(c)
        self.training = SqlTrainingRepository(c)  # twin training (issue 16)

        # accounts (issue 8)
        self.users = SqlUserRepository(c)
        self.api_keys = SqlApiKeyRepository(c)
        self.web_sessions = SqlWebSessionRepository(c)
        self.sign_in_attempts = SqlSignInAttemptRepository(c)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._connection is not None
        try:
            if not self._committed:
                self._connection.rollback()
        finally:
            self._connection.close()
            self._connection = None

    def commit(self) -> None:
        assert self._connection is not None, "commit() outside 'with uow:'"
        self._connection.commit()
        self._committed = True
        head, self.audit.appended = self.audit.appended, None
        if head is not None and self._anchors is not None:
            # After the commit: a checkpoint never names an event that was rolled back. A
            # crash in between leaves the file one commit behind, which verifies.
            self._anchors.record(head)

    def rollback(self) -> None:
        assert self._connection is not None
        self._connection.rollback()
        self.audit.appended = None
        self._connection.begin()
