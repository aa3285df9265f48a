"""Poster rendering: time per poster as PNG and PDF, and for all schools. `python -m bench.poster`

The figures matter for `/affisch` (rendered off the event loop, but a user waits for it) and
for `kontaktlotsen poster --all` (189 shipped schools). Prints the median and the slowest of
`--runs` renders of one school per format, and the projected time for every school.
"""

from __future__ import annotations

import argparse
import statistics
import time

from bot.i18n import translator
from bot.services.poster import PosterFacts, render

FACTS = PosterFacts(
    school="Södra Ängby skola",
    area="Bromma",
    link="https://t.me/kontaktlotsen_bot?start=s_18",
    socialjour_phone="08-465 004 99",
    is_example=True,
)
SCHOOLS = 189


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    tr = translator("sv")
    render(FACTS, tr, "pdf")  # load the fonts once, as a running bot has
    for kind in ("png", "pdf"):
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            data = render(FACTS, tr, kind)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        print(
            f"{kind}: median {median * 1000:.0f} ms, slowest {max(times) * 1000:.0f} ms, "
            f"{len(data) // 1024} KiB; {SCHOOLS} schools ≈ {median * SCHOOLS:.0f} s"
        )


if __name__ == "__main__":
    main()
