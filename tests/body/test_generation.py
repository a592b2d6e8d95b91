"""Generation with the real parts: the studio backend (anny body twin, garments, raster
renderer), the QA gates (dlib, MediaPipe), retouching, and a campaign run by the CLI
with two worker processes."""

from __future__ import annotations

import json
import os
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from tests.conftest import consent_doc, terms
from tests.support.edits import crop, lengthen_legs, recolour, slim_waist
from twinstudio.bootstrap import bootstrap
from twinstudio.config import Settings
from twinstudio.domain.consent import BiometricReleaseDocument
from twinstudio.domain.errors import RightsRefused
from twinstudio.domain.generation import FORMATS, GenerationRequest, Market
from twinstudio.domain.parties import OrganisationKind

pytestmark = pytest.mark.xdist_group("anny")
TODAY = date.today()


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """A workspace with one enrolled roster person, two brands (one may alter the body
    shape), a small catalogue, and the real backend and QA tools."""
    from twinstudio.bootstrap import generation_components
    from twinstudio.demo.roster import build_roster
    from twinstudio.provenance.keys import ensure_development_credentials
    from twinstudio.services.enrolment import enrol_twin
    from twinstudio.services.garments import add_garment
    from twinstudio.services.parties import add_organisation
    from twinstudio.services.rights import (
        grant_biometric_release,
        grant_consent,
        grant_licence,
    )
    from twinstudio.workspace import create_workspace

    workspace = tmp_path_factory.mktemp("studio-ws")
    create_workspace(workspace)
    settings = Settings(workspace=workspace)
    ensure_development_credentials(settings.c2pa_dir)
    ctx = bootstrap(settings)
    (entry,) = build_roster(ctx, workspace, count=1, seed=7,
                            cache_dir=tmp_path_factory.mktemp("studio-cache"))
    grant_biometric_release(ctx, talent_id=entry.talent_id, document=BiometricReleaseDocument(
        purpose="Face template to check generated images", retention_days=365,
        written_release=True, explicit_consent=True, language="en"))
    enrolled = enrol_twin(ctx, talent_id=entry.talent_id, actor="test", photos=[
        (v, entry.captures[v].read_bytes()) for v in ("front", "three_quarter_left",
                                                      "three_quarter_right", "side")])
    assert enrolled.enrolled, enrolled.reasons
    grant_consent(ctx, talent_id=entry.talent_id, document=consent_doc(
        TODAY, scope={"alterations": ["body_shape"]}))
    plain = add_organisation(ctx, kind=OrganisationKind.BRAND, name="Nordvik")
    shaper = add_organisation(ctx, kind=OrganisationKind.BRAND, name="Sculpt")
    window = {"starts": TODAY.replace(day=1).isoformat(),
              "ends": (TODAY + timedelta(days=365)).isoformat(),  # any day, 29 Feb too
              "exclusive_categories": [], "territories": ["SE", "FR"]}
    licences = {
        "plain": grant_licence(ctx, twin_id=enrolled.twin_id, brand_id=plain.id,
                               terms=terms(**window)),
        "shaper": grant_licence(ctx, twin_id=enrolled.twin_id, brand_id=shaper.id,
                                terms=terms(**window, permitted_alterations=[
                                    "body_shape", "lighting", "crop"])),
    }
    garments = {
        brand: {"coat": add_garment(ctx, brand_id=org.id, name="Parka", category="coat",
                                    fabric_color="#2f4f6f", actor="test"),
                "tee": add_garment(ctx, brand_id=org.id, name="Tee", category="tee",
                                   fabric_color="#c23b3b", actor="test")}
        for brand, org in (("plain", plain), ("shaper", shaper))}
    backend, quality = generation_components()
    return {"ctx": ctx, "workspace": workspace, "twin_id": enrolled.twin_id, "entry": entry,
            "talent_id": entry.talent_id, "brands": {"plain": plain, "shaper": shaper},
            "licences": licences, "garments": garments, "backend": backend,
            "quality": quality}


def _request(studio, brand: str = "plain", **overrides) -> GenerationRequest:
    data = {"twin_id": studio["twin_id"], "licence_id": studio["licences"][brand].id,
            "garment_ids": (studio["garments"][brand]["coat"].id,), "pose": "relaxed",
            "scene": "gradient_frost", "format": "feed", "seed": 3,
            "markets": (Market(channel="social", territory="FR"),), "use_date": TODAY}
    data.update(overrides)
    return GenerationRequest(**data)


def _generate(studio, request):
    from twinstudio.services.jobs import resolve_inputs

    return studio["backend"].generate(resolve_inputs(studio["ctx"], request))


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_format_keeps_the_face_whole_and_the_garment_in_frame(studio, fmt):
    from twinstudio.body3d.appearance import PARTS
    from twinstudio.body3d.render import GARMENT_PART

    result = _generate(studio, _request(studio, format=fmt, pose="contrapposto"))
    height, width = result.image.shape[:2]
    assert (width, height) == (FORMATS[fmt].width, FORMATS[fmt].height)
    parts = result.conditioning["parts"]
    head = np.argwhere(parts == PARTS.index("head") + 1)
    assert len(head) > 500
    top, left = head.min(axis=0)
    bottom, right = head.max(axis=0)
    assert top > 2 and left > 2 and right < width - 3 and bottom < height - 3  # never cut
    garment = parts == GARMENT_PART
    assert garment.mean() > 0.03  # the garment is shown, not a sliver
    rows = np.flatnonzero(garment.any(axis=1))
    assert rows.min() > top  # the garment starts below the head, inside the frame
    identity, _ = studio["quality"].face_embedding(result.image)
    assert identity is not None  # the face is large enough to be checked


def test_the_body_gate_flags_slimming_and_lengthening_but_not_crops_or_colour(studio):
    from twinstudio.perception.pose import detect_pose
    from twinstudio.services.quality import body_gate

    result = _generate(studio, _request(studio, garment_ids=(
        studio["garments"]["plain"]["tee"].id,), scene="set_concrete"))
    image = result.image
    generated = body_gate(studio["quality"], result.reference, image, same_scene=False)
    assert generated.passed, generated
    pose, _ = detect_pose(image)
    shoulders = (np.array(pose.points["left_shoulder"][:2])
                 + pose.points["right_shoulder"][:2]) / 2
    hips = (np.array(pose.points["left_hip"][:2]) + pose.points["right_hip"][:2]) / 2
    torso = float(np.linalg.norm(hips - shoulders))
    h, w = image.shape[:2]
    edits = {
        "slim": slim_waist(image, waist_y=shoulders[1] + 0.62 * (hips[1] - shoulders[1]),
                           centre_x=float(hips[0]), torso=torso),
        "legs": lengthen_legs(image, hip_y=float(hips[1])),
        "crop": crop(image, (int(w * 0.1), int(h * 0.04), int(w * 0.93), h)),
        "colour": recolour(image),
    }
    gates = {name: body_gate(studio["quality"], image, edited)
             for name, edited in edits.items()}
    assert not gates["slim"].passed
    assert "waist" in {f["measure"] for f in gates["slim"].failures}
    assert not gates["legs"].passed
    assert "leg" in {f["measure"] for f in gates["legs"].failures}
    assert gates["crop"].passed and gates["crop"].checked, gates["crop"]
    assert gates["colour"].passed, gates["colour"]


def _one_asset(studio, brand: str):
    """Plan and run a one-image campaign in this process; returns the asset id."""
    from twinstudio.domain.generation import CampaignBrief
    from twinstudio.services.campaigns import create_campaign
    from twinstudio.services.jobs import run_worker

    ctx = studio["ctx"]
    plan = create_campaign(ctx, brand_id=studio["brands"][brand].id, actor="test",
                           brief=CampaignBrief.model_validate({
                               "name": f"edit-{brand}", "twins": [studio["twin_id"]],
                               "looks": [[studio["garments"][brand]["tee"].id]],
                               "poses": ["relaxed"], "formats": ["product_page"],
                               "scenes": ["cyclorama_sage"],
                               "markets": [{"channel": "social", "territory": "FR"}]}))
    assert plan.queued == 1, plan.as_dict()
    outcomes = []
    run_worker(ctx, backend=studio["backend"], quality=studio["quality"], worker_id="t",
               campaign_id=plan.campaign.id, on_outcome=outcomes.append)
    (outcome,) = outcomes
    assert outcome.asset_state == "pending_approval", outcome.qa
    return outcome.asset_id


def _master(ctx, asset_id):
    with ctx.uow() as uow:
        mark = uow.marks.get(asset_id)
    return ctx.blobs.get(mark.blob_sha256)


def test_retouching_the_body_needs_body_shape_and_then_carries_the_french_label(studio):
    from tests.support.images import decode, encode
    from twinstudio.perception.pose import detect_pose
    from twinstudio.services.assets import approve_asset, edit_asset, publish_asset

    ctx, quality = studio["ctx"], studio["quality"]
    for brand in ("plain", "shaper"):
        asset_id = _one_asset(studio, brand)
        pixels = decode(_master(ctx, asset_id))
        pose, _ = detect_pose(pixels)
        s = (np.array(pose.points["left_shoulder"][:2]) + pose.points["right_shoulder"][:2]) / 2
        hp = (np.array(pose.points["left_hip"][:2]) + pose.points["right_hip"][:2]) / 2
        slimmed = encode(slim_waist(pixels, waist_y=s[1] + 0.62 * (hp[1] - s[1]),
                                    centre_x=float(hp[0]),
                                    torso=float(np.linalg.norm(hp - s))), "PNG")
        h, w = pixels.shape[:2]
        cropped = encode(crop(pixels, (int(w * 0.05), 0, int(w * 0.95), h)), "PNG")
        if brand == "plain":
            with pytest.raises(RightsRefused) as refused:
                edit_asset(ctx, asset_id, image=slimmed, quality=quality, actor="retoucher")
            assert "body_shape" in refused.value.reasons[0].message
            edit = edit_asset(ctx, asset_id, image=cropped, quality=quality,
                              actor="retoucher")
            assert not edit.body_changed and not edit.asset.retouched
            assert edit.asset.parent_id == asset_id
            continue
        edit = edit_asset(ctx, asset_id, image=slimmed, quality=quality, actor="retoucher")
        assert edit.body_changed and edit.asset.retouched
        assert "body_shape" in edit.asset.alterations
        approve_asset(ctx, edit.asset.id, party_id=studio["talent_id"], actor="talent")
        published = publish_asset(ctx, edit.asset.id, channel="social", territory="FR",
                                  day=TODAY, actor="brand")
        assert "Photographie retouchée" in published.labels


def test_a_campaign_runs_with_two_worker_processes_through_the_cli(studio, tmp_path):
    from twinstudio.cli import app

    runner = CliRunner()
    ws = str(studio["workspace"])
    brand = studio["brands"]["plain"].id
    brief = tmp_path / "brief.yaml"
    brief.write_text(f"""
name: CLI campaign
twins: all_licensed
looks:
  - [{studio["garments"]["plain"]["coat"].id}]
  - [{studio["garments"]["plain"]["tee"].id}]
poses: [relaxed, hand_on_hip]
formats: [story, square]
segments:
  - {{name: city, scene: set_plaster, season: AW26, lighting: soft}}
markets:
  - {{channel: social, territory: SE}}
max_assets: 4
""")
    created = runner.invoke(app, ["campaign", "create", "--brand", brand, "--brief",
                                  str(brief), "--workspace", ws, "--json"])
    assert created.exit_code == 0, created.output
    plan = json.loads(created.output)
    assert plan["queued"] == 4
    ran = runner.invoke(app, ["campaign", "run", plan["campaign_id"], "--workers", "2",
                              "--workspace", ws, "--json"])
    assert ran.exit_code == 0, ran.output
    status = json.loads(ran.output)
    assert status["jobs"]["succeeded"] == 4 and status["done"]
    assert status["assets"] == {"pending_approval": 4}
    with studio["ctx"].uow() as uow:
        jobs = uow.jobs.list(campaign_id=plan["campaign_id"])
    assert len({j.asset_id for j in jobs}) == 4
    assert len({j.lease_owner for j in jobs}) == 1  # released: no lease left behind
    shown = runner.invoke(app, ["asset", "show", jobs[0].asset_id, "--workspace", ws,
                                "--json"])
    details = json.loads(shown.output)
    assert details["qa"]["passed"] and details["request"]["format"] in ("story", "square")
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nlooks: [[a]]\nposes: [relaxed]\nformats: [poster]\n"
                   "scenes: [set_plaster]\nmarkets: [{channel: social, territory: SE}]\n")
    refused = runner.invoke(app, ["campaign", "create", "--brand", brand, "--brief",
                                  str(bad), "--workspace", ws])
    assert refused.exit_code == 2 and "unknown format 'poster'" in refused.output


def test_a_photo_of_an_enrolled_twin_that_we_never_made_is_an_unlicensed_likeness(studio):
    from tests.support.images import decode, encode
    from twinstudio.services.verification import verify_image

    ctx = studio["ctx"]
    # a copy of the talent's capture found online: no credential, mark or fingerprint
    found = encode(decode(studio["entry"].captures["three_quarter_left"].read_bytes()),
                   quality=85)
    result = verify_image(ctx, found)
    assert result.verdict == "unlicensed_likeness", result.signals.face
    assert result.twin_id == studio["twin_id"] and result.asset_id is None
    assert result.signals.face.match.distance < 0.6


def test_the_diffusion_conditioning_sits_in_the_formats_camera(studio):
    """The conditioning images of a real studio render: the format's size, the
    skeleton's joints on the projected keypoints in OpenPose's colours, a mask per
    garment inside the person, and the talent's references from the enrolment photos."""
    from twinstudio.body3d.render import GARMENT_PART
    from twinstudio.generation.diffusion.conditioning import (
        COLOURS,
        OPENPOSE18,
        conditioning_from,
        pipeline_size,
    )
    from twinstudio.generation.studio import StudioBackend
    from twinstudio.services.biometrics import likeness_references
    from twinstudio.services.garments import add_garment, list_garments
    from twinstudio.services.jobs import resolve_inputs

    brand = studio["brands"]["plain"].id
    tee = studio["garments"]["plain"]["tee"].id
    skirt = next((g.id for g in list_garments(studio["ctx"], brand_id=brand)
                  if g.name == "Skirt"), None) or add_garment(
        studio["ctx"], brand_id=brand, name="Skirt", category="skirt",
        fabric_color="#333344", actor="test").id
    request = _request(studio, garment_ids=(tee, skirt), format="story", pose="walking")
    inputs = resolve_inputs(studio["ctx"], request)
    rendered = StudioBackend(garment_masks=True).generate(inputs)
    fmt = FORMATS["story"]
    width, height = pipeline_size(fmt.width, fmt.height)
    assert (width, height) == (fmt.width, fmt.height)  # every format is a multiple of 16
    cond = conditioning_from(rendered.image, rendered.conditioning, [tee, skirt],
                             width=width, height=height)
    look = os.environ.get("TWINSTUDIO_LOOK_DIR")  # to look at them: the skeleton over it
    if look:
        from PIL import Image

        over = (0.55 * cond.studio + 0.45 * cond.pose).astype(np.uint8)
        row = np.concatenate([cond.studio, over, cond.depth, _masks(cond)], axis=1)
        Image.fromarray(row).save(Path(look) / "conditioning.png")
    for image in (cond.pose, cond.depth, cond.studio):
        assert image.shape == (height, width, 3)
    keypoints = rendered.conditioning["pose"]
    checked = 0
    for index in range(2, 14):  # shoulders to ankles: drawn last, nothing covers them
        name = OPENPOSE18[index]
        x, y, _ = keypoints[name]
        if 0 <= x < width and 0 <= y < height:
            assert tuple(cond.pose[round(y), round(x)]) == COLOURS[index], name
            checked += 1
    assert checked >= 10
    left, right = keypoints["left_shoulder"], keypoints["right_shoulder"]
    neck = (round((left[0] + right[0]) / 2), round((left[1] + right[1]) / 2))
    assert tuple(cond.pose[neck[1], neck[0]]) == COLOURS[1]
    # depth: the person nearer (brighter) than the backdrop behind them
    assert cond.depth[cond.person].mean() > cond.depth[~cond.person].mean() + 20
    masks = cond.garments
    assert set(masks) == {tee, skirt} and all(m.sum() > 2000 for m in masks.values())
    assert not (masks[tee] & masks[skirt]).any()
    union = cond.garment_union
    garment_pixels = rendered.conditioning["parts"] == GARMENT_PART
    assert (union == garment_pixels).mean() > 0.995
    assert (union & ~cond.person).sum() < 0.01 * union.sum()
    references = likeness_references(studio["ctx"], studio["twin_id"])
    assert references.face is not None and references.full_body is not None
    _face_h, face_w = references.face.shape[:2]
    assert 60 < face_w < references.full_body.shape[1]
    faces = studio["ctx"].faces.embeddings(references.face)
    assert faces, "the face crop holds the face"


def _masks(cond) -> np.ndarray:
    """The person grey, each garment in its own colour."""
    out = np.zeros((cond.height, cond.width, 3), np.uint8)
    out[cond.person] = 90
    for mask, colour in zip(cond.garments.values(), ((230, 80, 60), (60, 120, 230)),
                            strict=False):
        out[mask] = colour
    return out
