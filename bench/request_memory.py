"""CPU seconds and peak memory of single ``POST /api/v1/verify`` requests (issue 19,
finding 2). Prints one line per image.

    PYTHONPATH=src .venv/bin/python bench/request_memory.py [--images bomb,photo,jpeg]
        [--real-photos]

Builds the API tests' two-tenant workspace, starts ``twinstudio serve`` on it in a
subprocess (``tests/support/served.py``; the code of the ``twinstudio`` package this
script imports, so ``PYTHONPATH=/path/to/other/checkout/src`` measures that one), warms
it up with one normal photo (the models load), and then for each image:

- resets the server's peak resident memory (``/proc/PID/clear_refs``, 5) and reads its
  CPU time (user + system, all its processes);
- posts the image to ``/api/v1/verify`` as a brand admin and waits for the answer;
- prints the answer's status, the wall time, the server's CPU seconds for it, its peak
  resident memory during the request (``VmHWM``) and its resident memory after.

Images: ``bomb``, an all-zero 7000x7000 PNG of about 47 KB (under the 50 MP limit);
``photo``, a 768x1024 JPEG scene (no face); ``jpeg``, a 6000x4000 JPEG (24 MP, a camera
photo's size). With ``--real-photos`` a real face photo is added (``make faces``).
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

def images(names: list[str], real_photos: bool) -> list[tuple[str, str, bytes]]:
    from PIL import Image
    from tests.support.images import encode, scene
    from tests.support.images import zero_png as bomb_png

    out = []
    for name in names:
        if name == "bomb":
            out.append(("bomb 7000x7000 zero PNG", "image/png", bomb_png()))
        elif name == "photo":
            out.append(("photo 768x1024 JPEG", "image/jpeg", encode(scene(7), quality=90)))
        elif name == "jpeg":
            buffer = io.BytesIO()
            Image.fromarray(scene(9, 1500, 1000)).resize((6000, 4000)).save(
                buffer, "JPEG", quality=90)
            out.append(("jpeg 6000x4000", "image/jpeg", buffer.getvalue()))
        else:
            raise SystemExit(f"unknown image {name!r}")
    if real_photos:
        from tests.support.faces import real_faces_dir

        path = real_faces_dir() / "person_b_1.jpg"
        out.append((f"face {path.name}", "image/jpeg", path.read_bytes()))
    return out


def main() -> None:
    import httpx
    from tests.support.served import (
        build_workspace,
        cpu_seconds,
        memory_mb,
        reset_peak,
        serve,
    )

    import twinstudio

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", default="bomb,photo,jpeg")
    parser.add_argument("--real-photos", action="store_true")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    cases = images([n.strip() for n in args.images.split(",") if n.strip()], args.real_photos)
    print(f"twinstudio from {Path(twinstudio.__file__).parent}")
    with tempfile.TemporaryDirectory() as tmp:
        workspace = Path(tmp) / "ws"
        key, _ = build_workspace(workspace)
        with serve(workspace) as served:
            pid = served.process.pid
            headers = {"X-API-Key": key}
            from tests.support.images import encode, scene

            warm = httpx.post(f"{served.url}/api/v1/verify", headers=headers, timeout=120,
                              files={"image": ("warm.jpg", encode(scene(3)), "image/jpeg")})
            print(f"warm-up: {warm.status_code}; server RSS {memory_mb(pid, 'VmRSS'):,.0f} MB")
            print(f"{'image':<26} {'bytes':>9} {'status':>6} {'wall s':>7} {'CPU s':>7} "
                  f"{'peak RSS MB':>11} {'RSS after MB':>12}")
            for label, mime, data in cases:
                reset_peak(pid)
                cpu, started = cpu_seconds(pid), time.perf_counter()
                try:
                    status = str(httpx.post(f"{served.url}/api/v1/verify", headers=headers,
                                            files={"image": ("x", data, mime)},
                                            timeout=args.timeout).status_code)
                except httpx.HTTPError as error:
                    status = type(error).__name__
                wall = time.perf_counter() - started
                print(f"{label:<26} {len(data):>9,} {status:>6} {wall:>7.2f} "
                      f"{cpu_seconds(pid) - cpu:>7.2f} {memory_mb(pid, 'VmHWM'):>11,.0f} "
                      f"{memory_mb(pid, 'VmRSS'):>12,.0f}", flush=True)
                if not served.alive():
                    print("the server died", flush=True)
                    break


if __name__ == "__main__":
    main()
