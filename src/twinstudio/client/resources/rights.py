"""Resources of the parties and their rights: who am I, organisations, talents, twins
(enrolment, offers), consents, biometric releases, licences, licence proposals, policy."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from twinstudio.api.proposal_schemas import ProposalPublic
from twinstudio.api.schemas import (
    ConsentPublic,
    DecisionPublic,
    EnrolmentPublic,
    LicencePublic,
    MePublic,
    OrganisationPublic,
    Page,
    ReleasePublic,
    RevocationPublic,
    TalentPublic,
    TwinPublic,
    VerificationPublic,
)
from twinstudio.client._calls import Call, Upload, file_part, get, model, post
from twinstudio.client.resources._base import DEFAULT_LIMIT, DEFAULT_PAGE_SIZE, Resource
from twinstudio.domain.consent import BiometricReleaseDocument, ConsentDocument
from twinstudio.domain.licence import LicenceState, LicenceTerms
from twinstudio.domain.parties import OrganisationKind
from twinstudio.domain.policy import ProposedUse
from twinstudio.domain.proposals import ProposalState, RefusalCode

Document = Mapping[str, Any]


class Me(Resource):
    def get(self) -> MePublic:
        """The user the API key acts for, with their role and affiliation."""
        return self._do(get("/me", model(MePublic)))


class Organisations(Resource):
    def _list(self, kind: OrganisationKind | str | None) -> Call[Page[OrganisationPublic]]:
        return get("/organisations", model(Page[OrganisationPublic]), kind=kind)

    def list(self, *, kind: OrganisationKind | str | None = None, limit: int = DEFAULT_LIMIT,
             offset: int = 0) -> Page[OrganisationPublic]:
        """Agencies and brands the caller deals with."""
        return self._page(self._list(kind), limit, offset)

    def iter(self, *, kind: OrganisationKind | str | None = None,
             page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[OrganisationPublic]:
        return self._all(self._list(kind), page_size)


class Talents(Resource):
    def _list(self) -> Call[Page[TalentPublic]]:
        return get("/talents", model(Page[TalentPublic]))

    def list(self, *, limit: int = DEFAULT_LIMIT, offset: int = 0) -> Page[TalentPublic]:
        return self._page(self._list(), limit, offset)

    def iter(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[TalentPublic]:
        return self._all(self._list(), page_size)

    def get(self, talent_id: str) -> TalentPublic:
        return self._do(get(f"/talents/{talent_id}", model(TalentPublic)))

    def create(self, name: str, *, language: str = "en", agency_id: str | None = None,
               idempotency_key: str | None = None) -> TalentPublic:
        """Register a talent and their (enrolling) twin."""
        payload = {"name": name, "language": language, "agency_id": agency_id}
        return self._do(post("/talents", model(TalentPublic), payload, creates=True,
                             idempotency_key=idempotency_key))


class Twins(Resource):
    def _list(self) -> Call[Page[TwinPublic]]:
        return get("/twins", model(Page[TwinPublic]))

    def list(self, *, limit: int = DEFAULT_LIMIT, offset: int = 0) -> Page[TwinPublic]:
        return self._page(self._list(), limit, offset)

    def iter(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[TwinPublic]:
        return self._all(self._list(), page_size)

    def get(self, twin_id: str) -> TwinPublic:
        return self._do(get(f"/twins/{twin_id}", model(TwinPublic)))

    def enrol(self, twin_id: str, photos: Sequence[Upload], *,
              idempotency_key: str | None = None) -> EnrolmentPublic:
        """Enrol the twin from a capture session (3 to 40 photos: paths, bytes or
        (name, bytes)); ``status`` says enrolled or in_review; refused: RightsRefused."""
        files = [("photos", file_part(p, f"photo-{i}.jpg")) for i, p in enumerate(photos)]
        return self._do(post(f"/twins/{twin_id}/enrolment", model(EnrolmentPublic),
                             files=files, creates=True, idempotency_key=idempotency_key))

    def set_offers(self, twin_id: str, open: bool) -> TwinPublic:
        """List the twin as open to offers from brands without a licence (or close it)."""
        return self._do(Call("PUT", f"/twins/{twin_id}/offers", model(TwinPublic),
                             json={"open": open}))


class Consents(Resource):
    def _list(self, twin_id: str | None) -> Call[Page[ConsentPublic]]:
        return get("/consents", model(Page[ConsentPublic]), twin_id=twin_id)

    def list(self, *, twin_id: str | None = None, limit: int = DEFAULT_LIMIT,
             offset: int = 0) -> Page[ConsentPublic]:
        return self._page(self._list(twin_id), limit, offset)

    def iter(self, *, twin_id: str | None = None,
             page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[ConsentPublic]:
        return self._all(self._list(twin_id), page_size)

    def get(self, consent_id: str) -> ConsentPublic:
        return self._do(get(f"/consents/{consent_id}", model(ConsentPublic)))

    def create(self, talent_id: str, document: ConsentDocument | Document, *,
               idempotency_key: str | None = None) -> ConsentPublic:
        """The talent signs a digital replica consent for their own twin."""
        return self._do(post("/consents", model(ConsentPublic),
                             {"talent_id": talent_id, "document": document}, creates=True,
                             idempotency_key=idempotency_key))

    def revoke(self, consent_id: str, reason: str) -> RevocationPublic:
        """Licences under it are suspended, unpublished assets withdrawn."""
        return self._do(post(f"/consents/{consent_id}/revoke", model(RevocationPublic),
                             {"reason": reason}))

    def verification(self, consent_id: str) -> VerificationPublic:
        """The document hash recomputed and the talent's signature checked."""
        return self._do(get(f"/consents/{consent_id}/verification",
                            model(VerificationPublic)))


class Releases(Resource):
    """Biometric releases (BIPA written release, GDPR Art. 9 explicit consent)."""

    def _list(self) -> Call[Page[ReleasePublic]]:
        return get("/biometric-releases", model(Page[ReleasePublic]))

    def list(self, *, limit: int = DEFAULT_LIMIT, offset: int = 0) -> Page[ReleasePublic]:
        return self._page(self._list(), limit, offset)

    def iter(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[ReleasePublic]:
        return self._all(self._list(), page_size)

    def get(self, release_id: str) -> ReleasePublic:
        return self._do(get(f"/biometric-releases/{release_id}", model(ReleasePublic)))

    def create(self, talent_id: str, document: BiometricReleaseDocument | Document, *,
               idempotency_key: str | None = None) -> ReleasePublic:
        return self._do(post("/biometric-releases", model(ReleasePublic),
                             {"talent_id": talent_id, "document": document}, creates=True,
                             idempotency_key=idempotency_key))

    def revoke(self, release_id: str) -> ReleasePublic:
        """The twin's biometric data is crypto-shredded at once."""
        return self._do(post(f"/biometric-releases/{release_id}/revoke",
                             model(ReleasePublic)))


class Licences(Resource):
    def _list(self, twin_id: str | None, brand_id: str | None,
              state: LicenceState | str | None) -> Call[Page[LicencePublic]]:
        return get("/licences", model(Page[LicencePublic]), twin_id=twin_id,
                   brand_id=brand_id, state=state)

    def list(self, *, twin_id: str | None = None, brand_id: str | None = None,
             state: LicenceState | str | None = None, limit: int = DEFAULT_LIMIT,
             offset: int = 0) -> Page[LicencePublic]:
        return self._page(self._list(twin_id, brand_id, state), limit, offset)

    def iter(self, *, twin_id: str | None = None, brand_id: str | None = None,
             state: LicenceState | str | None = None,
             page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[LicencePublic]:
        return self._all(self._list(twin_id, brand_id, state), page_size)

    def get(self, licence_id: str) -> LicencePublic:
        return self._do(get(f"/licences/{licence_id}", model(LicencePublic)))

    def propose(self, twin_id: str, brand_id: str, terms: LicenceTerms | Document, *,
                consent_id: str | None = None, expires_in_days: int | None = None,
                idempotency_key: str | None = None) -> ProposalPublic:
        """Propose a licence (the API answers 202 with the proposal, signed by the brand):
        the licence exists once the talent's side accepts (``proposals.accept``)."""
        payload = {"twin_id": twin_id, "brand_id": brand_id, "terms": terms,
                   "consent_id": consent_id, "expires_in_days": expires_in_days}
        return self._do(post("/licences", model(ProposalPublic), payload, creates=True,
                             idempotency_key=idempotency_key))

    def revoke(self, licence_id: str, reason: str) -> RevocationPublic:
        return self._do(post(f"/licences/{licence_id}/revoke", model(RevocationPublic),
                             {"reason": reason}))

    def verification(self, licence_id: str) -> VerificationPublic:
        """The licence's hash recomputed from its terms and both signatures checked."""
        return self._do(get(f"/licences/{licence_id}/verification",
                            model(VerificationPublic)))


class Proposals(Resource):
    """Licence proposals: accept (the licence is granted), refuse, withdraw."""

    def _list(self, twin_id: str | None, brand_id: str | None,
              state: ProposalState | str | None) -> Call[Page[ProposalPublic]]:
        return get("/licence-proposals", model(Page[ProposalPublic]), twin_id=twin_id,
                   brand_id=brand_id, state=state)

    def list(self, *, twin_id: str | None = None, brand_id: str | None = None,
             state: ProposalState | str | None = None, limit: int = DEFAULT_LIMIT,
             offset: int = 0) -> Page[ProposalPublic]:
        return self._page(self._list(twin_id, brand_id, state), limit, offset)

    def iter(self, *, twin_id: str | None = None, brand_id: str | None = None,
             state: ProposalState | str | None = None,
             page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[ProposalPublic]:
        return self._all(self._list(twin_id, brand_id, state), page_size)

    def get(self, proposal_id: str) -> ProposalPublic:
        return self._do(get(f"/licence-proposals/{proposal_id}", model(ProposalPublic)))

    def accept(self, proposal_id: str, *, idempotency_key: str | None = None
               ) -> LicencePublic:
        """The talent's side signs: the licence is granted now (201)."""
        return self._do(post(f"/licence-proposals/{proposal_id}/accept",
                             model(LicencePublic), creates=True,
                             idempotency_key=idempotency_key))

    def refuse(self, proposal_id: str, code: RefusalCode | str,
               note: str | None = None) -> ProposalPublic:
        return self._do(post(f"/licence-proposals/{proposal_id}/refuse",
                             model(ProposalPublic),
                             {"code": getattr(code, "value", code), "note": note}))

    def withdraw(self, proposal_id: str) -> ProposalPublic:
        """The brand withdraws its open proposal."""
        return self._do(post(f"/licence-proposals/{proposal_id}/withdraw",
                             model(ProposalPublic)))


class Policy(Resource):
    def check(self, licence_id: str, use: ProposedUse | Document) -> DecisionPublic:
        """Decide a proposed use under a licence; every failed condition is a reason
        (read-only, so it may be retried)."""
        return self._do(post("/policy/check", model(DecisionPublic),
                             {"licence_id": licence_id, "use": use}, safe=True))
