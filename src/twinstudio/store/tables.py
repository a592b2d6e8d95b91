"""SQLAlchemy tables. Documents (consent, terms, signatures) are stored as canonical JSON
text so that they hash identically on SQLite and PostgreSQL; the fields queries filter on
are also real columns."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in, timezone-aware UTC out, on every backend (SQLite has no tz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused by the store; use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect):  # type: ignore[override]
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


ID = String(40)

organisations = Table(
    "organisations", metadata,
    Column("id", ID, primary_key=True),
    Column("kind", String(16), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("country", String(2)),
    Column("public_key", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

talents = Table(
    "talents", metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("language", String(35), nullable=False),
    Column("agency_id", ID, ForeignKey("organisations.id")),
    Column("synthetic", Boolean, nullable=False, server_default=false()),
    Column("public_key", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_interaction_at", UtcDateTime, nullable=False),
)

twins = Table(
    "twins", metadata,
    Column("id", ID, primary_key=True),
    Column("talent_id", ID, ForeignKey("talents.id"), nullable=False, unique=True),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("open_to_offers", Boolean, nullable=False, server_default=false()),
)

consents = Table(
    "consents", metadata,
    Column("id", ID, primary_key=True),
    Column("talent_id", ID, ForeignKey("talents.id"), nullable=False, index=True),
    Column("twin_id", ID, ForeignKey("twins.id"), nullable=False, index=True),
    Column("state", String(16), nullable=False),
    Column("starts", Date, nullable=False),
    Column("ends", Date, nullable=False),
    Column("document", Text, nullable=False),
    Column("document_hash", String(64), nullable=False),
    Column("signature", Text, nullable=False),
    Column("signed_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("revocation_reason", Text),
    Column("training_withdrawn_at", UtcDateTime),  # migration 0013
)

biometric_releases = Table(
    "biometric_releases", metadata,
    Column("id", ID, primary_key=True),
    Column("talent_id", ID, ForeignKey("talents.id"), nullable=False, index=True),
    Column("state", String(16), nullable=False),
    Column("document", Text, nullable=False),
    Column("document_hash", String(64), nullable=False),
    Column("signature", Text, nullable=False),
    Column("signed_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
)

licences = Table(
    "licences", metadata,
    Column("id", ID, primary_key=True),
    Column("twin_id", ID, ForeignKey("twins.id"), nullable=False, index=True),
    Column("talent_id", ID, ForeignKey("talents.id"), nullable=False, index=True),
    Column("brand_id", ID, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("consent_id", ID, ForeignKey("consents.id"), nullable=False, index=True),
    Column("state", String(16), nullable=False),
    Column("state_reason", Text),
    Column("starts", Date, nullable=False),
    Column("ends", Date, nullable=False),
    Column("terms", Text, nullable=False),
    Column("document_hash", String(64), nullable=False),
    Column("signatures", Text, nullable=False),
    Column("granted_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("assets_used", Integer, nullable=False, default=0),
)

licence_proposals = Table(
    "licence_proposals", metadata,
    Column("id", ID, primary_key=True),
    Column("twin_id", ID, ForeignKey("twins.id"), nullable=False, index=True),
    Column("talent_id", ID, ForeignKey("talents.id"), nullable=False),
    Column("brand_id", ID, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("consent_id", ID, ForeignKey("consents.id"), nullable=False),
    Column("licence_id", ID, nullable=False, unique=True),  # the licence it becomes
    Column("state", String(16), nullable=False, index=True),
    Column("terms", Text, nullable=False),
    Column("document_hash", String(64), nullable=False),
    Column("brand_signature", Text, nullable=False),
    Column("proposed_by", String(80), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime),
    Column("decided_by", String(80)),
    Column("refusal_code", String(40)),
    Column("refusal_note", Text),
)

audit_events = Table(
    "audit_events", metadata,
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=False),
    Column("at", UtcDateTime, nullable=False),
    Column("actor", String(80), nullable=False),
    Column("type", String(80), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("hash"),
)
Index("ix_audit_events_type", audit_events.c.type)

# ------------------------------------------------------------------ ledger (migration 0002)

ledger_transactions = Table(
    "ledger_transactions", metadata,
    Column("id", ID, primary_key=True),
    Column("event_key", String(200), nullable=False, unique=True),
    Column("event", Text, nullable=False),
    Column("licence_id", ID, ForeignKey("licences.id"), nullable=False, index=True),
    Column("talent_id", ID, ForeignKey("talents.id"), nullable=False, index=True),
    Column("brand_id", ID, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("currency", String(3), nullable=False),
    Column("gross", BigInteger, nullable=False),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("period", String(7), nullable=False, index=True),
    Column("due_on", Date, nullable=False),
    Column("reverses", ID, ForeignKey("ledger_transactions.id"), unique=True),
    Column("memo", Text, nullable=False),
    Column("posted_at", UtcDateTime, nullable=False),
)

ledger_entries = Table(
    "ledger_entries", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
           autoincrement=True),
    Column("transaction_id", ID, ForeignKey("ledger_transactions.id"), nullable=False,
           index=True),
    Column("account", String(80), nullable=False, index=True),
    Column("amount", BigInteger, nullable=False),
)

ledger_period_closes = Table(
    "ledger_period_closes", metadata,
    Column("licence_id", ID, ForeignKey("licences.id"), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("top_up", BigInteger, nullable=False),
    Column("closed_at", UtcDateTime, nullable=False),
)

# ------------------------------------------------------------------ assets (migration 0003)

assets = Table(
    "assets", metadata,
    Column("id", ID, primary_key=True),
    Column("twin_id", ID, ForeignKey("twins.id"), nullable=False, index=True),
    Column("licence_id", ID, ForeignKey("licences.id"), nullable=False, index=True),
    Column("brand_id", ID, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("state", String(20), nullable=False, index=True),
    Column("source", String(20), nullable=False),
    Column("alterations", Text, nullable=False),
    Column("retouched", Integer, nullable=False),
    Column("parent_id", ID, ForeignKey("assets.id")),
    Column("state_reason", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

asset_marks = Table(
    "asset_marks", metadata,
    Column("asset_id", ID, ForeignKey("assets.id"), primary_key=True),
    Column("code", BigInteger, nullable=False, unique=True),
    Column("blob_sha256", String(64), nullable=False),
    Column("mime", String(20), nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("pdq", String(64), nullable=False),
    Column("pdq_mirror", String(64), nullable=False),
    Column("pdq_quality", Integer, nullable=False),
    Column("local_features", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

# ------------------------------------------------------------ biometrics (migration 0005)

twin_data_keys = Table(
    "twin_data_keys", metadata,
    Column("twin_id", ID, ForeignKey("twins.id"), primary_key=True),
    Column("wrapped_key", LargeBinary),  # NULL once destroyed (crypto-shredded)
    Column("created_at", UtcDateTime, nullable=False),
    Column("destroyed_at", UtcDateTime),
    Column("destroyed_reason", Text),
)

biometric_templates = Table(
    "biometric_templates", metadata,
    Column("id", ID, primary_key=True),
    Column("twin_id", ID, ForeignKey("twins.id"), nullable=False, index=True),
    Column("kind", String(40), nullable=False),
    Column("ciphertext", LargeBinary, nullable=False),
    Column("retain_until", UtcDateTime, nullable=False, index=True),
    Column("created_at", UtcDateTime, nullable=False),
)

# ------------------------------------------------------------ generation (migration 0007)

garments = Table(
    "garments", metadata,
    Column("id", ID, primary_key=True),
    Column("brand_id", ID, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("name", String(120), nullable=False),
    Column("category", String(40), nullable=False),
    Column("document", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("brand_id", "name", name="uq_garments_brand_name"),
)

twin_bodies = Table(
    "twin_bodies", metadata,
    Column("twin_id", ID, ForeignKey("twins.id"), primary_key=True),
    Column("profile", Text, nullable=False),
    Column("fit", Text, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

campaigns = Table(
    "campaigns", metadata,
    Column("id", ID, primary_key=True),
    Column("brand_id", ID, ForeignKey("organisations.id"), nullable=False, index=True),
    Column("name", String(120), nullable=False),
    Column("brief", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

campaign_refusals = Table(
    "campaign_refusals", metadata,
    Column("campaign_id", ID, ForeignKey("campaigns.id"), primary_key=True),
    Column("key", String(40), primary_key=True),
    Column("request", Text, nullable=False),
    Column("reasons", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

jobs = Table(
    "jobs", metadata,
    Column("id", ID, primary_key=True),
    Column("campaign_id", ID, ForeignKey("campaigns.id"), nullable=False, index=True),
    Column("key", String(40), nullable=False, unique=True),  # idempotency key of the variant
    Column("twin_id", ID, ForeignKey("twins.id"), nullable=False, index=True),
    Column("licence_id", ID, ForeignKey("licences.id"), nullable=False, index=True),
    Column("request", Text, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False),
    Column("max_attempts", Integer, nullable=False),
    Column("lease_owner", String(80)),
    Column("lease_expires_at", UtcDateTime, index=True),
    Column("last_error", Text),
    Column("asset_id", ID, ForeignKey("assets.id"), unique=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

asset_details = Table(  # what generation adds to an asset: its job and its QA gates
    "asset_details", metadata,
    Column("asset_id", ID, ForeignKey("assets.id"), primary_key=True),
    Column("job_id", ID, ForeignKey("jobs.id"), unique=True),
    Column("qa", Text, nullable=False),
    Column("reference", Text, nullable=False),  # body-twin measures the gates compare to
)

asset_publications = Table(
    "asset_publications", metadata,
    Column("id", ID, primary_key=True),
    Column("asset_id", ID, ForeignKey("assets.id"), nullable=False, index=True),
    Column("channel", String(20), nullable=False),
    Column("territory", String(2), nullable=False),
    Column("published_on", Date, nullable=False),
    Column("labels", Text, nullable=False),
    Column("rendition_sha256", String(64), nullable=False),
    Column("published_at", UtcDateTime, nullable=False),
    Column("takedown_requested_at", UtcDateTime),
    UniqueConstraint("asset_id", "channel", "territory", name="uq_asset_publications_use"),
)

# -------------------------------------------------------------- accounts (migration 0007)

users = Table(
    "users", metadata,
    Column("id", ID, primary_key=True),
    Column("email", String(254), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("organisation_id", ID, ForeignKey("organisations.id"), index=True),
    Column("talent_id", ID, ForeignKey("talents.id"), index=True),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

api_keys = Table(
    "api_keys", metadata,
    Column("id", ID, primary_key=True),
    Column("user_id", ID, ForeignKey("users.id"), nullable=False, index=True),
    Column("name", String(100), nullable=False),
    Column("prefix", String(16), nullable=False, unique=True),
    Column("secret_hash", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime),
    Column("last_used_at", UtcDateTime),
    Column("expires_at", UtcDateTime),  # issue 19; None: never
)

web_sessions = Table(
    "web_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", ID, ForeignKey("users.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, index=True),
)

# Failed sign-ins per account (sha256 of the email) or client address (issue 19).
sign_in_attempts = Table(
    "sign_in_attempts", metadata,
    Column("key", String(80), primary_key=True),
    Column("failures", Integer, nullable=False),
    Column("last_failure_at", UtcDateTime, nullable=False, index=True),
    Column("locked_until", UtcDateTime),
)

# -------------------------------------------------------- likeness reviews (migration 0008)

likeness_reviews = Table(
    "likeness_reviews", metadata,
    Column("id", ID, primary_key=True),
    Column("twin_id", ID, ForeignKey("twins.id"), nullable=False, index=True),
    Column("talent_id", ID, ForeignKey("talents.id"), nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("document", Text, nullable=False),  # candidates, photos, threshold, decision
    Column("created_at", UtcDateTime, nullable=False),
    Column("decided_at", UtcDateTime),
)

twin_lookalikes = Table(
    "twin_lookalikes", metadata,
    Column("twin_a", ID, ForeignKey("twins.id"), primary_key=True),
    Column("twin_b", ID, ForeignKey("twins.id"), primary_key=True),
    Column("review_id", ID, ForeignKey("likeness_reviews.id"), nullable=False),
    Column("distance", Text, nullable=False),  # decimal text: identical on every backend
    Column("created_at", UtcDateTime, nullable=False),
)

notices = Table(
    "notices", metadata,
    Column("id", ID, primary_key=True),
    Column("recipient_id", ID, nullable=False, index=True),  # a talent or an organisation
    Column("kind", String(40), nullable=False),
    Column("document", Text, nullable=False),  # subject, body, refs
    Column("created_at", UtcDateTime, nullable=False),
    Column("read_at", UtcDateTime),
)

# The model registry (issue 15): a model folder's manifest and licence, by name.
models = Table(
    "models", metadata,
    Column("name", String(64), primary_key=True),
    Column("kind", String(16), nullable=False, index=True),
    Column("commercial", Boolean, nullable=False),
    Column("manifest_sha256", String(64), nullable=False),
    Column("document", Text, nullable=False),  # RegisteredModel: path, licence, files
    Column("added_at", UtcDateTime, nullable=False),
)

# Webhooks (issue 20): endpoints, the outbox of messages (written in the transaction of
# the change they report), deliveries with a lease like jobs, and every attempt.
webhook_endpoints = Table(
    "webhook_endpoints", metadata,
    Column("id", ID, primary_key=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False,
           index=True),
    Column("url", Text, nullable=False),
    Column("events", Text, nullable=False),  # JSON list of event types
    Column("description", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("secret_key", LargeBinary, nullable=False),  # the vault's wrapped data key
    Column("secret", LargeBinary, nullable=False),      # the secret, encrypted with it
    Column("created_by", String(80), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

webhook_messages = Table(
    "webhook_messages", metadata,
    Column("id", ID, primary_key=True),
    Column("organisation_id", ID, ForeignKey("organisations.id"), nullable=False,
           index=True),
    Column("type", String(40), nullable=False),
    Column("data", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", ID, primary_key=True),
    Column("message_id", ID, ForeignKey("webhook_messages.id"), nullable=False, index=True),
    Column("endpoint_id", ID, ForeignKey("webhook_endpoints.id"), nullable=False,
           index=True),
    Column("organisation_id", ID, nullable=False, index=True),
    Column("event_type", String(40), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime),
    Column("lease_owner", String(80)),
    Column("lease_expires_at", UtcDateTime),
    Column("last_status", Integer),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("delivered_at", UtcDateTime),
    Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),
)

webhook_attempts = Table(
    "webhook_attempts", metadata,
    Column("delivery_id", ID, ForeignKey("webhook_deliveries.id"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
    Column("status", Integer),
    Column("latency_ms", Integer, nullable=False),
    Column("error", Text),
)

# Idempotency-Key (issue 20): the first answer to a create, per API key and key.
idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("scope", String(64), primary_key=True),  # SHA-256 of the credential
    Column("key", String(255), primary_key=True),
    Column("fingerprint", String(64), nullable=False),  # method, path and body
    Column("status", Integer),  # None: the first request is still running
    Column("headers", Text),  # JSON: content-type, location
    Column("body", LargeBinary),
    Column("created_at", UtcDateTime, nullable=False, index=True),
)

# Twin training (issue 16): training jobs with a lease and their last checkpoint, and the
# versions of each twin's LoRA. Checkpoints and weights are encrypted with the twin's own
# key (biometric_keys): shredding it leaves them unreadable, and they are deleted too.
training_jobs = Table(
    "training_jobs", metadata,
    Column("id", ID, primary_key=True),
    Column("twin_id", ID, ForeignKey("twins.id"), nullable=False, index=True),
    Column("base_model", String(64), nullable=False),
    Column("recipe", String(40), nullable=False),
    Column("params", Text, nullable=False),
    Column("state", String(16), nullable=False, index=True),
    Column("step", Integer, nullable=False),
    Column("last_loss", Text),  # repr of a float: exact on every backend
    Column("attempts", Integer, nullable=False),
    Column("lease_owner", String(80)),
    Column("lease_expires_at", UtcDateTime),
    Column("checkpoint", LargeBinary),
    Column("adapter_id", ID),
    Column("error", Text),
    Column("requested_by", String(80), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

twin_adapters = Table(
    "twin_adapters", metadata,
    Column("id", ID, primary_key=True),
    Column("twin_id", ID, ForeignKey("twins.id"), nullable=False, index=True),
    Column("talent_id", ID, ForeignKey("talents.id"), nullable=False, index=True),
    Column("consent_id", ID, ForeignKey("consents.id"), nullable=False),
    Column("job_id", ID, ForeignKey("training_jobs.id"), nullable=False),
    Column("base_model", String(64), nullable=False),
    Column("base_manifest_sha256", String(64), nullable=False),
    Column("recipe", String(40), nullable=False),
    Column("version", Integer, nullable=False),
    Column("params", Text, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("ciphertext", LargeBinary),  # None once deleted or destroyed
    Column("created_at", UtcDateTime, nullable=False),
    Column("ended_at", UtcDateTime),
    Column("end_reason", Text),
    UniqueConstraint("twin_id", "base_model", "version", name="uq_twin_adapters_version"),
)
