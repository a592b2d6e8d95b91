"""Our vectorised DWT-DCT-SVD mark is blind-watermark's algorithm: each reads the other."""

from __future__ import annotations

import numpy as np

from tests.support.images import scene
from twinstudio.provenance import codes, dwtsvd

SEEDS = {"password_img": 20261, "password_wm": 7337}


def _library():
    import multiprocessing

    # blind_watermark calls multiprocessing.set_start_method('fork') when imported, which
    # fails once another test in this worker has fixed the start method (processes=1
    # below never starts a process anyway)
    original = multiprocessing.set_start_method
    multiprocessing.set_start_method = lambda *args, **kwargs: None  # type: ignore[assignment]
    try:
        import blind_watermark
    finally:
        multiprocessing.set_start_method = original

    blind_watermark.bw_notes.close()
    return blind_watermark.WaterMark


def test_embedding_matches_the_reference_library():
    bgr = scene(3, 384, 512)[:, :, ::-1].astype(np.float32)
    bits = codes.encode(0xC0FFEE)
    ours = dwtsvd.embed(bgr, bits, **SEEDS)
    reference = _library()(processes=1, **SEEDS)
    reference.read_img(img=bgr.copy())
    reference.read_wm(bits, mode="bit")
    theirs = reference.embed()
    assert np.abs(ours - theirs).max() < 0.01


def test_each_reads_the_others_mark():
    bgr = scene(4, 384, 512)[:, :, ::-1].astype(np.float32)
    bits = codes.encode(0x12345678)
    ours = np.round(dwtsvd.embed(bgr, bits, **SEEDS)).astype(np.float32)
    library = _library()
    theirs_soft = library(processes=1, **SEEDS).extract(embed_img=ours.copy(), wm_shape=80,
                                                         mode="bit")
    assert codes.decode([int(v > 0.5) for v in theirs_soft]) == 0x12345678
    ours_soft = dwtsvd.extract(ours, 80, **SEEDS)
    assert np.abs(np.asarray(theirs_soft) - ours_soft).max() < 0.01


def test_an_unmarked_image_reads_as_no_code():
    bgr = scene(5, 384, 512)[:, :, ::-1].astype(np.float32)
    assert codes.decode([int(v > 0.5) for v in dwtsvd.extract(bgr, 80, **SEEDS)]) is None
