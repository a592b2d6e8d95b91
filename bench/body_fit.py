"""How close does the body twin get to a person's measurements? Prints figures.

    .venv/bin/python bench/body_fit.py                  # the 30-person roster, seed 7
    .venv/bin/python bench/body_fit.py --count 8

For every person of the synthetic roster, fits anny to the measurements and prints the
error (mm) per measurement, then the median and worst error per measurement over the
roster and the fit time. Goal (issue): median <= 4 mm and worst <= 10 mm for height,
bust, waist and hips. The first run builds anny's cache (about a minute).
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from twinstudio.body3d.fit import FIELDS, fit_body
from twinstudio.demo.roster_spec import sample_roster


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    errors: dict[str, list[float]] = {k: [] for k in FIELDS}
    seconds = []
    for person in sample_roster(args.count, args.seed):
        fitted = fit_body(person.profile)
        seconds.append(fitted.seconds)
        cells = []
        for row in fitted.rows:
            if "error_mm" in row:
                errors[str(row["measurement"])].append(abs(float(row["error_mm"])))
                cells.append(f"{row['measurement']} {float(row['error_mm']):+.1f}")
        print(f"{person.name:24s} {person.profile.sex.value:6s} {person.build:8s} "
              + ", ".join(cells) + f"  ({fitted.seconds:.0f} s)")
    print(f"\n{'measurement':16s} {'median mm':>10s} {'worst mm':>10s}  people")
    for name, values in errors.items():
        if values:
            print(f"{name:16s} {statistics.median(values):10.2f} {max(values):10.2f}  "
                  f"{len(values)}")
    print(f"fit time: median {statistics.median(seconds):.1f} s, worst {max(seconds):.1f} s")


if __name__ == "__main__":
    main()
