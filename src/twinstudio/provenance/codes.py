"""The asset code a watermark carries: 32 random bits (never personal data), protected by
an 8-bit CRC and an extended Hamming(8,4) code that corrects one bit error in every byte
and detects two, then whitened with a fixed pseudo-random mask. 80 bits in all.

The mask matters: an unmarked image tends to read as all zeros (or all ones), and without
it those would be valid codewords (code 0 and its complement)."""

from __future__ import annotations

CODE_BITS = 32
PAYLOAD_BITS = 80

# Extended Hamming(8,4): data bits d1..d4 -> p1 p2 d1 p3 d2 d3 d4 p0 (p0: overall parity).
_MASK = [int(b) for b in format(0xB5A3_91C7_2E4D_F068_1A9D, "080b")]


def crc8(data: int, nbits: int = CODE_BITS) -> int:
    """CRC-8 (polynomial 0x07) of the ``nbits``-bit integer ``data``."""
    crc = 0
    for i in range(nbits - 1, -1, -1):
        bit = (data >> i) & 1
        top = (crc >> 7) & 1
        crc = (crc << 1) & 0xFF
        if top ^ bit:
            crc ^= 0x07
    return crc


def _encode_nibble(d: list[int]) -> list[int]:
    p1 = d[0] ^ d[1] ^ d[3]
    p2 = d[0] ^ d[2] ^ d[3]
    p3 = d[1] ^ d[2] ^ d[3]
    word = [p1, p2, d[0], p3, d[1], d[2], d[3]]
    return [*word, sum(word) % 2]


def _decode_byte(w: list[int]) -> tuple[list[int], bool]:
    """Data nibble and whether it is trustworthy (False: two errors detected)."""
    s1 = w[0] ^ w[2] ^ w[4] ^ w[6]
    s2 = w[1] ^ w[2] ^ w[5] ^ w[6]
    s3 = w[3] ^ w[4] ^ w[5] ^ w[6]
    syndrome = s1 + 2 * s2 + 4 * s3
    parity_ok = sum(w) % 2 == 0
    w = list(w)
    if syndrome and parity_ok:
        return [w[2], w[4], w[5], w[6]], False  # double error: detected, not corrected
    if syndrome:
        w[syndrome - 1] ^= 1
    return [w[2], w[4], w[5], w[6]], True


def encode(code: int) -> list[int]:
    """80 bits to embed for a 32-bit asset code."""
    if not 0 <= code < 2**CODE_BITS:
        raise ValueError("asset code must be a 32-bit unsigned integer")
    value = (code << 8) | crc8(code)
    bits = [(value >> i) & 1 for i in range(39, -1, -1)]
    out: list[int] = []
    for i in range(0, 40, 4):
        out += _encode_nibble(bits[i:i + 4])
    return [b ^ m for b, m in zip(out, _MASK, strict=True)]


def decode(bits: list[int]) -> int | None:
    """The asset code, or None when the bits are not a valid (correctable) payload."""
    if len(bits) != PAYLOAD_BITS:
        return None
    bits = [b ^ m for b, m in zip(bits, _MASK, strict=True)]
    data: list[int] = []
    for i in range(0, PAYLOAD_BITS, 8):
        nibble, ok = _decode_byte(bits[i:i + 8])
        if not ok:
            return None
        data += nibble
    value = int("".join(map(str, data)), 2)
    code, check = value >> 8, value & 0xFF
    return code if crc8(code) == check else None
