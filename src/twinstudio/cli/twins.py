"""Twins (enrolment, list, show, match, body twin) and the synthetic roster."""

from pathlib import Path
from typing import Annotated, Any

import typer

from twinstudio.cli._app import (
    DEFAULT_WS,
    JsonFlag,
    TwinTyper,
    Workspace,
    context,
    err,
    group,
    load_model,
    out,
    print_fields,
    print_json,
    print_list,
    print_result,
    print_table,
    read_image_file,
    writable_path,
)
from twinstudio.domain.errors import InvalidInput

roster_app = group("roster", "The synthetic roster: made-up people with body twins.")
twin_app = group("twin", "Twins: enrolment from a capture session, likeness reviews, "
                         "matching.")
review_app = TwinTyper(help="Likeness reviews: a capture set whose face is within the "
                            "identity threshold of another twin waits for a compliance "
                            "decision.")
twin_app.add_typer(review_app, name="review")
notice_app = group("notice", "Notices a talent or an organisation receives (e.g. after a "
                             "likeness review).")
ReviewArg = Annotated[str, typer.Argument(help="Likeness review id")]

TwinArg = Annotated[str, typer.Argument(help="Twin id")]
RosterCount = Annotated[int, typer.Option(min=1, max=500)]
RosterSeed = Annotated[int, typer.Option()]


PHOTO_LIMIT = 40


@twin_app.command("enrol")
def twin_enrol(talent: Annotated[str, typer.Option(help="Talent id")],
               photos: Annotated[Path, typer.Option(help="Folder of capture photos")],
               workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Check a capture session and enrol the talent's twin (needs a biometric release)."""
    from twinstudio.services.enrolment import enrol_twin

    if not photos.is_dir():
        raise InvalidInput(f"{photos} is not a folder of photos")
    files = sorted(p for p in photos.iterdir() if p.is_file() and not p.name.startswith("."))
    if not files:
        raise InvalidInput(f"{photos} holds no files")
    if len(files) > PHOTO_LIMIT:
        raise InvalidInput(f"{len(files)} files; a capture session has at most {PHOTO_LIMIT}")
    ctx = context(workspace)
    result = enrol_twin(ctx, talent_id=talent,
                        photos=[(p.name, read_image_file(p)) for p in files],
                        actor=talent)
    if as_json:
        print_json(result.as_dict())
    else:
        print_table(("photo", "accepted", "view", "reasons"),
                    ((photo.photo, "yes" if photo.accepted else "no", photo.view or "-",
                      "; ".join(r["message"] for r in photo.reasons) or "-")
                     for photo in result.photos))
        if result.enrolled:
            verdict = "enrolled"
        elif result.review_id:
            verdict = (f"in likeness review {result.review_id}: "
                       + "; ".join(r["message"] for r in result.reasons)
                       + f"\n  decide with: twinstudio twin review decide {result.review_id} "
                         "--decision distinct|same_person --reason '...'")
        else:
            verdict = "refused: " + "; ".join(r["message"] for r in result.reasons)
        out.print(f"twin {result.twin_id}: {verdict}", markup=False)
    if result.status == "refused":
        raise typer.Exit(3)


@twin_app.command("list")
def twin_list(workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List twins and their state."""
    from twinstudio.services.twins import list_twins

    print_list(list_twins(context(workspace)), as_json=as_json,
               columns=("twin", "talent", "state"),
               row=lambda t: (t.id, t.talent_id, t.state.value))


@twin_app.command("show")
def twin_show(twin_id: TwinArg,
              workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Show a twin: state, biometric key status, templates (never their content)."""
    from twinstudio.services.twins import twin_details

    details = twin_details(context(workspace), twin_id)
    twin, has_key = details.twin, details.biometric_key
    templates = [{"id": t.id, "kind": t.kind, "retain_until": t.retain_until.isoformat()}
                 for t in details.templates]
    print_result({**twin.model_dump(mode="json"), "biometric_key": has_key,
                  "templates": templates},
                 f"twin {twin.id} of {twin.talent_id}: {twin.state.value}; biometric key "
                 f"{'present' if has_key else 'absent'}; {len(templates)} template(s)",
                 as_json=as_json)


@twin_app.command("match")
def twin_match(image: Annotated[Path, typer.Argument(help="Any image")],
               workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Which enrolled twins appear in this image?"""
    from twinstudio.services.enrolment import match

    found = match(context(workspace), read_image_file(image))
    if as_json:
        print_json([m.as_dict() for m in found])
        return
    if not found:
        out.print("no enrolled twin found")
    for face in found:
        margin = "" if face.margin is None else f", margin {face.margin:.3f} to the next"
        if face.ambiguous:
            out.print(f"face at {face.box}: ambiguous between look-alikes{margin}")
        else:
            out.print(f"face at {face.box}: {face.twin_id}{margin}")
        for candidate in face.candidates:
            out.print(f"  {candidate.twin_id}  distance {candidate.distance}")


@twin_app.command("body")
def twin_body(twin_id: TwinArg,
              profile: Annotated[Path, typer.Option(help="Body profile JSON: sex, age, "
                                                         "measurements, appearance")],
              workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Fit the twin's body twin to the talent's measurements and record it."""
    from twinstudio.domain.body import BodyProfile
    from twinstudio.services.bodies import fit_twin_body

    body = load_model(profile, BodyProfile)
    fitted = fit_twin_body(context(workspace), twin_id=twin_id, profile=body,
                           actor="operator")
    if as_json:
        print_json({"twin_id": twin_id, "fit": fitted.as_dict()})
        return
    worst = fitted.worst_error_mm
    given = sum(1 for r in fitted.rows if "error_mm" in r)
    out.print(f"body twin of {twin_id} fitted in {fitted.seconds:.1f} s ("
              + (f"worst of {given} measurements {worst:.1f} mm off)" if worst is not None
                 else "no measurement to compare with)"))


# ------------------------------------------------------------------- likeness reviews


def _candidates(review: Any) -> str:
    return ", ".join(f"{c.twin_id} ({c.distance:.3f})" for c in review.candidates)


@review_app.command("list")
def review_list(state: Annotated[str | None, typer.Option(
                    help="pending, distinct or same_person (default: all)")] = None,
                workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """List likeness reviews, oldest first."""
    from twinstudio.domain.likeness import ReviewState
    from twinstudio.services.likeness import list_reviews

    wanted = None
    if state is not None:
        try:
            wanted = ReviewState(state)
        except ValueError:
            raise InvalidInput(f"state must be one of {', '.join(s.value for s in ReviewState)}"
                               f"; got {state!r}") from None
    print_list(list_reviews(context(workspace), state=wanted), as_json=as_json,
               columns=("review", "twin", "talent", "state", "near (distance)"),
               row=lambda r: (r.id, r.twin_id, r.talent_id, r.state.value, _candidates(r)))


@review_app.command("show")
def review_show(review_id: ReviewArg,
                photos: Annotated[Path | None, typer.Option(
                    help="Write the set's and the candidates' photos into this folder to "
                         "compare them (audited; pending reviews only)")] = None,
                workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Show a likeness review: the twin, the candidates and their distances."""
    from twinstudio.services.likeness import get_review, review_photos

    ctx = context(workspace)
    review = get_review(ctx, review_id)
    written: list[str] = []
    if photos is not None:
        writable_path(photos / "photo.png")
        folder = photos
        folder.mkdir(parents=True, exist_ok=True)
        kept = review_photos(ctx, review_id, actor="operator")
        sets = {f"{review.twin_id}-in-review": kept.twin,
                **{f"{twin}-enrolled": items for twin, items in kept.candidates.items()}}
        for prefix, items in sets.items():
            for name, data in items:
                target = folder / f"{prefix}-{Path(name).name}"
                target.write_bytes(data)
                written.append(str(target))
    if as_json:
        print_json({**review.model_dump(mode="json"), "photos_written": written})
        return
    print_fields([
        ("review", review.id), ("state", review.state.value),
        ("twin in review", f"{review.twin_id} (talent {review.talent_id})"),
        ("photos", ", ".join(review.photos)),
        ("threshold", str(review.threshold)),
        ("near", "\n".join(f"{c.twin_id} (talent {c.talent_id}): distance {c.distance:.3f}"
                            for c in review.candidates)),
        ("opened", review.created_at.isoformat()),
        *([("decided", f"{review.decided_at:%Y-%m-%d %H:%M} by {review.decided_by}: "
                       f"{review.reason}")] if review.decided_at else []),
        *([("photos written", f"{len(written)} into {photos}")] if written else []),
    ])


@review_app.command("decide")
def review_decide(review_id: ReviewArg,
                  decision: Annotated[str, typer.Option(
                      help="distinct (different people: the twin enrols, both are recorded "
                           "as look-alikes) or same_person (enrolment refused, template "
                           "destroyed, the other talent told)")],
                  reason: Annotated[str, typer.Option(
                      help="Why, in words (e.g. which identity documents were checked)")],
                  same_as: Annotated[str | None, typer.Option(
                      help="same_person: the candidate twin the photos show (default: the "
                           "closest)")] = None,
                  actor: Annotated[str, typer.Option(
                      "--as", help="Who decides (recorded in the audit chain)")] = "operator",
                  workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Decide a likeness review (compliance)."""
    from twinstudio.domain.likeness import ReviewDecision
    from twinstudio.services.likeness import decide_review

    try:
        chosen = ReviewDecision(decision)
    except ValueError:
        raise InvalidInput("decision must be distinct or same_person; got "
                           f"{decision!r}") from None
    result = decide_review(context(workspace), review_id, decision=chosen, reason=reason,
                           actor=actor, same_as=same_as)
    if chosen is ReviewDecision.DISTINCT:
        text = (f"review {review_id}: distinct; twin {result.review.twin_id} is "
                f"{result.twin_state.value}, look-alike of {', '.join(result.lookalikes)}")
    else:
        text = (f"review {review_id}: the same person as twin {result.review.same_as}; "
                f"enrolment of twin {result.review.twin_id} refused, its biometric data "
                f"destroyed; {len(result.notices)} notice(s) sent")
    print_result(result.as_dict(), text, as_json=as_json, markup=False)


@notice_app.command("list")
def notice_list(party: Annotated[str, typer.Option(help="A talent or organisation id")],
                workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """The notices of a talent or an organisation, newest first."""
    from twinstudio.services.likeness import list_notices

    print_list(list_notices(context(workspace), [party]), as_json=as_json,
               columns=("notice", "date", "subject", "read"),
               row=lambda n: (n.id, f"{n.created_at:%Y-%m-%d}", n.subject,
                              "yes" if n.read_at else "no"))


# ---------------------------------------------------------------------------- roster


@roster_app.command("build")
def roster_build(count: RosterCount = 30, seed: RosterSeed = 7,
                 renderer: Annotated[str, typer.Option(
                     help="raster (fast) or cycles (physically based preview)")] = "raster",
                 enrol: Annotated[bool, typer.Option(
                     "--enrol", help="also record a biometric release for each talent and "
                                     "enrol their captures (as 'twin enrol' does); look-alike "
                                     "collisions go to likeness review and are decided "
                                     "distinct by --reviewer")] = False,
                 reviewer: Annotated[str, typer.Option(
                     help="who decides the roster's likeness reviews (audited)")] = "operator",
                 workers: Annotated[int | None, typer.Option(
                     min=1, max=16, help="processes that build people not cached yet "
                                         "(default: one per core, at most 4)")] = None,
                 workspace: Workspace = DEFAULT_WS, as_json: JsonFlag = False) -> None:
    """Create synthetic talents: bodies fitted to measurements and capture sets (cached)."""
    from rich.progress import Progress

    from twinstudio.demo.roster import (
        ROSTER_DISTINCT_REASON,
        build_roster,
        enrol_roster,
        require_face_templates,
    )
    from twinstudio.services.twins import twin_of_talent

    ctx = context(workspace)
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("roster", total=count)

        def progress(done: int, total: int, name: str) -> None:
            bar.update(task, completed=done, total=total, description=name)

        entries = build_roster(ctx, workspace, count=count, seed=seed, renderer=renderer,
                               progress=progress, workers=workers)
        enrolments = enrol_roster(ctx, entries, actor="roster", reviewer=reviewer,
                                  progress=progress) if enrol else []
    states = {e.talent_id: twin_of_talent(ctx, e.talent_id).state.value for e in entries}
    done = {e.entry.talent_id: e for e in enrolments}
    rows = []
    for e in entries:
        enrolment = done.get(e.talent_id)
        result = enrolment.result if enrolment else None
        rows.append({
            "index": e.index, "name": e.name, "talent_id": e.talent_id,
            "twin_state": states[e.talent_id],
            "enrolment": None if result is None else result.as_dict(),
            "review": None if enrolment is None or enrolment.review is None
            else enrolment.review.as_dict(),
            "captures": {k: str(v) for k, v in e.captures.items()},
            "fit_errors_mm": {str(m["measurement"]): m["error_mm"]
                              for m in e.fit["measurements"] if "error_mm" in m}})
    if as_json:
        print_json(rows)
    else:
        def cells(row: dict[str, Any]) -> tuple[str, ...]:
            worst = max((abs(v) for v in row["fit_errors_mm"].values()), default=0.0)
            state = row["twin_state"]
            if row["enrolment"] and row["enrolment"]["status"] == "refused":
                state += " (" + "; ".join(r["code"] for r in row["enrolment"]["reasons"]) + ")"
            elif row["review"]:
                state += f" (review: {len(row['review']['lookalikes'])} look-alikes)"
            return str(row["index"]), row["name"], row["talent_id"], state, f"{worst:.1f}"

        print_table(("#", "name", "talent", "twin", "worst fit error (mm)"),
                    (cells(row) for row in rows))
        reviewed = sum(1 for row in rows if row["review"])
        if reviewed:
            err.print(f"{reviewed} look-alike collision(s) went to likeness review, decided "
                      f"distinct by {reviewer}: {ROSTER_DISTINCT_REASON}", markup=False)
    if enrol:
        require_face_templates(ctx, enrolments)


@roster_app.command("photos")
def roster_photos(out_dir: Annotated[Path, typer.Option("--out", help="folder to write")],
                  index: Annotated[int, typer.Option(help="which roster person")] = 0,
                  count: RosterCount = 30, seed: RosterSeed = 7,
                  as_json: JsonFlag = False) -> None:
    """Sample capture photos to enrol: one synthetic roster person's front, three-quarter
    and side views (built once, then cached), registered nowhere."""
    from twinstudio.demo.roster import sample_photos

    sample = sample_photos(out_dir, index=index, count=count, seed=seed)
    if as_json:
        print_json({"index": sample.index, "name": sample.name,
                    "photos": [str(p) for p in sample.photos], "profile": sample.profile})
        return
    out.print(f"wrote {len(sample.photos)} capture photos of {sample.name} (roster person "
              f"{sample.index}) to {out_dir}: " + ", ".join(p.name for p in sample.photos),
              markup=False)


@roster_app.command("sheet")
def roster_sheet(out_path: Annotated[Path, typer.Option("--out", help="PNG to write")],
                 count: RosterCount = 30, seed: RosterSeed = 7,
                 workspace: Workspace = DEFAULT_WS) -> None:
    """A contact sheet of the roster's front captures (builds what is missing)."""
    from twinstudio.demo.roster import build_roster, contact_sheet

    writable_path(out_path)
    entries = build_roster(context(workspace), workspace, count=count, seed=seed)
    out.print(f"wrote {contact_sheet(entries, out_path)}")
