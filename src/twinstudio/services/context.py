"""What every service gets: a unit-of-work factory, the keyring, hooks and a clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

from twinstudio.domain.common import utcnow
from twinstudio.domain.generation import GeneratorSpec
from twinstudio.domain.proposals import DEFAULT_PROPOSAL_DAYS
from twinstudio.domain.webhooks import RETRY_SCHEDULE
from twinstudio.services.ports import (
    AdapterTrainer,
    AuditAnchors,
    Blobs,
    BodyFitting,
    CaptureChecks,
    FaceTools,
    GarmentColours,
    Keyring,
    ModelFolders,
    PasswordHasher,
    ProvenanceTools,
    RightsWithdrawnHook,
    UnitOfWork,
    Vault,
    WebhookSender,
)


@dataclass
class ServiceContext:
    uow: Callable[[], UnitOfWork]
    keyring: Keyring
    rights_withdrawn_hooks: list[RightsWithdrawnHook] = field(default_factory=list)
    clock: Callable[[], datetime] = utcnow
    blobs: Blobs | None = None
    provenance: ProvenanceTools | None = None
    vault: Vault | None = None
    faces: FaceTools | None = None
    captures: CaptureChecks | None = None
    body_fitting: BodyFitting | None = None
    passwords: PasswordHasher | None = None  # accounts (issue 8)
    model_folders: ModelFolders | None = None  # the model registry (issue 15)
    # what a campaign brief without a ``generator`` gets (configuration); None: studio
    default_generator: GeneratorSpec | None = None
    garment_colours: GarmentColours | None = None  # a garment's colour from its packshot
    # signed checkpoints of the audit chain outside the database (the same object the
    # units of work record into); None: the chain is checked without them
    anchors: AuditAnchors | None = None
    proposal_days: int = DEFAULT_PROPOSAL_DAYS  # how long a licence proposal waits
    # outbound webhook requests (issue 20): the guarded sender and the retry schedule
    webhook_sender: WebhookSender | None = None
    webhook_schedule: tuple[int, ...] = RETRY_SCHEDULE
    # twin training (issue 16): the LoRA trainer (None: this process cannot train)
    trainer: AdapterTrainer | None = None

    def now(self) -> datetime:
        return self.clock()

    def today(self) -> date:
        return self.clock().date()
