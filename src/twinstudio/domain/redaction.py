"""What a refusal may tell the party who asked.

The policy explains every refusal in full: the audit, compliance and the party whose
object it is read it so. A reason whose message shows details of an object of another
party (another brand's licence: its id and period; the talent's consent: its id, dates,
scope and rate of pay) says what it concerns (``Reason.concerns``) and carries the message
for a party that may not see that object (``Reason.withheld``). ``redact`` gives each
caller the reasons as its ``Scope`` may read them: the code always, the details only of
what it sees. Apply it wherever reasons leave for a caller (API errors, stored campaign
refusals, policy checks, proposals).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from twinstudio.domain.accounts import Scope
from twinstudio.domain.policy import Concerns, Reason


def sees(scope: Scope, concerns: Concerns) -> bool:
    """Whether ``scope`` may see the object a reason concerns (the rules of ``Access``:
    a licence its brand and its talent's side; a consent the talent's side)."""
    if concerns.kind == "licence":
        return scope.sees_licence(twin_id=concerns.twin_id, brand_id=concerns.brand_id or "")
    return scope.sees_twin(concerns.twin_id)


def redact(reasons: Iterable[Reason], scope: Scope) -> list[Reason]:
    """``reasons`` as ``scope`` may read them: a reason about an object it does not see
    keeps its code and says only its withheld message (repeats once)."""
    out = [r if r.concerns is None or sees(scope, r.concerns)
           else Reason(code=r.code, message=r.withheld or r.code) for r in reasons]
    return list(dict.fromkeys(out))


def to_record(reason: Reason) -> dict[str, Any]:
    """A reason to store with what it concerns, so that it can be redacted when read."""
    record: dict[str, Any] = {"code": reason.code, "message": reason.message}
    if reason.concerns is not None:
        record["concerns"] = reason.concerns.model_dump()
        record["withheld"] = reason.withheld
    return record


def from_record(record: dict[str, Any]) -> Reason:
    """A stored reason (``to_record``, or an older ``{code, message}``) as a Reason."""
    concerns = record.get("concerns")
    return Reason(code=record["code"], message=record["message"],
                  concerns=Concerns.model_validate(concerns) if concerns else None,
                  withheld=record.get("withheld") if concerns else None)
