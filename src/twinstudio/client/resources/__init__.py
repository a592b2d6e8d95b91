"""One class per resource of the API; each describes its calls once, for both clients."""

from twinstudio.client.resources.rights import (
    Consents,
    Licences,
    Me,
    Organisations,
    Policy,
    Proposals,
    Releases,
    Talents,
    Twins,
)
from twinstudio.client.resources.studio import (
    Assets,
    Audit,
    Campaigns,
    Garments,
    Models,
    Notices,
    Reviews,
    Statements,
)
from twinstudio.client.resources.webhooks import Webhooks

__all__ = ["Assets", "Audit", "Campaigns", "Consents", "Garments", "Licences", "Me",
           "Models", "Notices", "Organisations", "Policy", "Proposals", "Releases",
           "Reviews", "Statements", "Talents", "Twins", "Webhooks"]
