"""The DWT-DCT-SVD invisible watermark of ``blind-watermark`` (guofei9987, MIT), written
again with whole-array NumPy so that it runs in tens of milliseconds instead of a second.

Same algorithm and parameters, so the robustness measured for blind-watermark on these
machines holds (../shared/notes/watermarks-measured.md), and a mark made here is read by
the library and the other way round (a test checks both directions):

  image (BGR) -> YUV -> per channel: Haar DWT -> low band cA in 4x4 blocks -> per block:
  DCT -> shuffle the 16 coefficients (a permutation per block, seeded) -> SVD -> quantise
  the two largest singular values (steps d1=36, d2=20) to carry one bit -> inverse.
  Bit i of the (seeded-shuffled) payload goes to blocks i, i+n, i+2n, ... of every
  channel; reading averages them.

``embed``/``extract`` are the library's scheme (first-level band); ``embed_band``,
``band_votes`` and ``soft_payload`` are its per-band steps, which ``watermark`` applies
one Haar level deeper.
"""

from __future__ import annotations

import functools

import numpy as np

D1, D2 = 36.0, 20.0
BLOCK = 4


def _dct_matrix(n: int = BLOCK) -> np.ndarray:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    matrix = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    matrix[0] /= np.sqrt(2.0)
    return matrix


_D = _dct_matrix()
_D32 = _D.astype(np.float32)  # for float32 bands: half the SVD time, same bits


def _planes(bgr: np.ndarray):  # type: ignore[no-untyped-def]
    import cv2

    height, width = bgr.shape[:2]
    yuv = cv2.copyMakeBorder(cv2.cvtColor(bgr.astype(np.float32), cv2.COLOR_BGR2YUV),
                             0, height % 2, 0, width % 2, cv2.BORDER_CONSTANT, value=(0, 0, 0))
    ca_h, ca_w = (height + 1) // 2, (width + 1) // 2
    rows, cols = ca_h // BLOCK, ca_w // BLOCK
    return yuv, rows, cols


def _blocks(ca: np.ndarray, rows: int, cols: int) -> np.ndarray:
    part = ca[:rows * BLOCK, :cols * BLOCK].astype(np.float32)
    return part.reshape(rows, BLOCK, cols, BLOCK).transpose(0, 2, 1, 3).reshape(-1, BLOCK,
                                                                                 BLOCK)


@functools.lru_cache(maxsize=16)
def shufflers(password_img: int, count: int) -> np.ndarray:
    # the same for every image of a size: kept (read-only) instead of drawn each time
    shuffle = np.random.RandomState(password_img).random(size=(count, BLOCK * BLOCK)) \
        .argsort(axis=1)
    shuffle.flags.writeable = False
    return shuffle


@functools.lru_cache(maxsize=16)
def _payload_order(password_wm: int, size: int) -> np.ndarray:
    order = np.arange(size)
    np.random.RandomState(password_wm).shuffle(order)
    order.flags.writeable = False
    return order


def capacity(height: int, width: int) -> int:
    """Blocks available (each payload bit should repeat in several)."""
    return ((height + 1) // 2 // BLOCK) * ((width + 1) // 2 // BLOCK)


def block_bits(bits: list[int], password_wm: int, count: int) -> np.ndarray:
    if len(bits) >= count:
        raise ValueError(f"image too small for a {len(bits)}-bit mark")
    payload = np.asarray(bits, np.float64)[_payload_order(password_wm, len(bits))]
    return payload[np.arange(count) % len(bits)]


def _dct_for(band: np.ndarray) -> np.ndarray:
    return _D32 if band.dtype == np.float32 else _D


def _shuffled_blocks(band: np.ndarray, shuffle: np.ndarray) -> np.ndarray:
    """The band's 4x4 blocks (row-major), each DCT-transformed and its 16 coefficients
    permuted by its row of ``shuffle``: the matrices whose singular values carry bits."""
    rows, cols = band.shape[0] // BLOCK, band.shape[1] // BLOCK
    d = _dct_for(band)
    coefficients = (d @ _blocks(band, rows, cols) @ d.T).reshape(rows * cols, -1)
    return np.take_along_axis(coefficients, shuffle, axis=1).reshape(-1, BLOCK, BLOCK)


def _top_two(matrices: np.ndarray) -> tuple[np.ndarray, ...]:
    """The two largest singular values of each 4x4 matrix, with their left and right
    singular vectors, from the eigen decomposition of A^T A (float64): twice as fast as a
    batched SVD of these tiny matrices. A second singular value of zero (a flat block) has
    no left vector of its own; any unit vector orthogonal to the first one completes the
    decomposition, as LAPACK would."""
    a = matrices.astype(np.float64)
    values, vectors = np.linalg.eigh(np.swapaxes(a, 1, 2) @ a)   # ascending
    s = np.sqrt(np.maximum(values[:, ::-1][:, :2], 0.0))
    v0, v1 = vectors[:, :, 3], vectors[:, :, 2]
    u0 = np.einsum("nij,nj->ni", a, v0)
    norm = np.linalg.norm(u0, axis=1, keepdims=True)
    u0 = np.where(norm > 1e-9, u0 / np.maximum(norm, 1e-300), np.eye(BLOCK)[0])
    u1 = np.einsum("nij,nj->ni", a, v1)
    u1 -= np.sum(u1 * u0, axis=1, keepdims=True) * u0
    norm = np.linalg.norm(u1, axis=1, keepdims=True)
    small = (norm < 1e-6)[:, 0]
    if small.any():  # complete with a basis vector away from u0, made orthogonal to it
        pick = np.eye(BLOCK)[np.argmin(np.abs(u0[small]), axis=1)]
        pick -= np.sum(pick * u0[small], axis=1, keepdims=True) * u0[small]
        u1[small] = pick
        norm = np.linalg.norm(u1, axis=1, keepdims=True)
    return s, u0, u1 / norm, v0, v1


def embed_band(band: np.ndarray, bit: np.ndarray, shuffle: np.ndarray) -> np.ndarray:
    """A low band (2-D) with one bit per 4x4 block (``bit``: one value per block, in
    row-major block order) quantised into its two largest singular values (the rest of
    each block's decomposition is left as it is)."""
    rows, cols = band.shape[0] // BLOCK, band.shape[1] // BLOCK
    count = rows * cols
    d = _dct_for(band)
    shuffled = _shuffled_blocks(band, shuffle)
    s, u0, u1, v0, v1 = _top_two(shuffled)
    t0 = (s[:, 0] // D1 + 0.25 + 0.5 * bit) * D1
    t1 = (s[:, 1] // D2 + 0.25 + 0.5 * bit) * D2
    rebuilt = (shuffled + (t0 - s[:, 0])[:, None, None] * (u0[:, :, None] * v0[:, None, :])
               + (t1 - s[:, 1])[:, None, None] * (u1[:, :, None] * v1[:, None, :]))
    rebuilt = rebuilt.reshape(count, -1)
    restored = np.empty_like(rebuilt)
    np.put_along_axis(restored, shuffle, rebuilt, axis=1)
    blocks = d.T @ restored.reshape(-1, BLOCK, BLOCK) @ d
    out = band.copy()
    out[:rows * BLOCK, :cols * BLOCK] = blocks.reshape(rows, cols, BLOCK, BLOCK) \
        .transpose(0, 2, 1, 3).reshape(rows * BLOCK, cols * BLOCK)
    return out


def band_votes(band: np.ndarray, shuffle: np.ndarray) -> np.ndarray:
    """Per 4x4 block of a low band, the bit it reads as, softly (0, 0.25, 0.75 or 1)."""
    a = _shuffled_blocks(band, shuffle).astype(np.float64)
    values = np.linalg.eigvalsh(np.swapaxes(a, 1, 2) @ a)   # squared singular values
    s0, s1 = np.sqrt(np.maximum(values[:, 3], 0.0)), np.sqrt(np.maximum(values[:, 2], 0.0))
    return ((s0 % D1 > D1 / 2) * 3 + (s1 % D2 > D2 / 2)) / 4


def soft_payload(votes: list[np.ndarray] | np.ndarray, size: int, password_wm: int
                 ) -> np.ndarray:
    """Average the votes of each payload bit, in [0, 1]: ``votes`` holds one array per
    plane, one vote per block; block i of a plane carries payload position i mod size."""
    total, seen = np.zeros(size), np.zeros(size)
    for plane in votes:
        position = np.arange(len(plane)) % size
        total += np.bincount(position, weights=plane, minlength=size)
        seen += np.bincount(position, minlength=size)
    result = np.empty(size)
    result[_payload_order(password_wm, size)] = total / seen
    return result


def embed(bgr: np.ndarray, bits: list[int], *, password_img: int, password_wm: int
          ) -> np.ndarray:
    """Float BGR image carrying ``bits`` (clip and round before storing as uint8)."""
    import cv2
    import pywt

    height, width = bgr.shape[:2]
    yuv, rows, cols = _planes(bgr)
    count = rows * cols
    bit = block_bits(bits, password_wm, count)
    shuffle = shufflers(password_img, count)
    out = []
    for channel in range(3):
        ca, details = pywt.dwt2(yuv[:, :, channel], "haar")
        out.append(pywt.idwt2((embed_band(ca, bit, shuffle), details), "haar"))
    marked = np.stack(out, axis=2)[:height, :width].astype(np.float32)
    return np.clip(cv2.cvtColor(marked, cv2.COLOR_YUV2BGR), 0, 255)


def extract(bgr: np.ndarray, size: int, *, password_img: int, password_wm: int
            ) -> np.ndarray:
    """Soft payload in [0, 1] (above 0.5 reads as 1)."""
    import pywt

    yuv, rows, cols = _planes(bgr)
    count = rows * cols
    if size >= count:
        return np.full(size, 0.5)
    shuffle = shufflers(password_img, count)
    votes = [band_votes(pywt.dwt2(yuv[:, :, channel], "haar")[0], shuffle)
             for channel in range(3)]
    return soft_payload(votes, size, password_wm)
