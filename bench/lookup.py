"""Benchmark the contact lookup against a naive `process.extractOne`, shipped and national size.

Run from the repository root:

    .venv/bin/python -m bench.lookup

For (a) the shipped Stockholm directory, (b) the shipped one plus 10,000 generated schools and
(c) the shipped one plus free-standing chain schools ("Kunskapsskolan Kista", "Internationella
Engelska skolan Hässelby"), it prints the index build time, median and p99 latency per lookup,
and the hit rate on the accuracy queries (tests/test_lookup_accuracy.py: the main set for (a)
and (b), the chain set for (c)) and on generated misspellings, for our index and for
`process.extractOne(query, raw_names)` with rapidfuzz's default scorer. Single process, nothing
pinned; each path is warmed up before it is timed.

Last, (d) the child's home: the time to answer a map pin (point in the 117 stadsdel polygons)
and a postcode (the national list, then the postort's areas), median and p99, over the pins and
postcodes of tests/test_home_accuracy.py, and their hit rate.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from rapidfuzz import process

from bot.services.lookup import EntryKind, IndexEntry, LookupIndex, Outcome
from tests.support.national_directory import (
    generate_national_entries,
    shipped_entries,
    typo_queries,
)
from tests.test_lookup_accuracy import CASES, CHAIN_CASES, Case, chain_entries

SEED = 20_231_101
NATIONAL_SCHOOLS = 10_000
SHIPPED_TYPOS = 189
NATIONAL_TYPOS = 600
BUILD_RUNS = 3
# extractOne over 10,000 names takes ~15 ms; a short warm-up is enough for it.
BASELINE_WARMUP = 30

T = TypeVar("T")


@dataclass(frozen=True)
class Figures:
    build_ms: float
    median_us: float
    p99_us: float
    accuracy_hits: int
    typo_hits: int
    confident_wrong: int | None


def _percentile(values: Sequence[int], share: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(share * len(ordered)))])


def _timed(run: Callable[[str], T], queries: Sequence[str]) -> tuple[list[T], list[int]]:
    # Collect the garbage of the build now, so neither side pays for it inside the timing.
    gc.collect()
    answers: list[T] = []
    spent: list[int] = []
    for query in queries:
        started = time.perf_counter_ns()
        answers.append(run(query))
        spent.append(time.perf_counter_ns() - started)
    return answers, spent


def _best_build_ms(build: Callable[[], object]) -> float:
    spent = []
    for _ in range(BUILD_RUNS):
        started = time.perf_counter_ns()
        build()
        spent.append(time.perf_counter_ns() - started)
    return min(spent) / 1e6


def measure_ours(
    entries: list[IndexEntry], cases: Sequence[Case], typos: Sequence[tuple[str, str]]
) -> Figures:
    build_ms = _best_build_ms(lambda: LookupIndex.build(entries))
    index = LookupIndex.build(entries)
    queries = [case.query for case in cases] + [query for query, _ in typos]
    for query in queries:  # warm-up
        index.search(query)
    results, spent = _timed(index.search, queries)
    accuracy_hits = sum(case.hit(r) for case, r in zip(cases, results[: len(cases)], strict=True))
    typo_hits = confident_wrong = 0
    for (_, ref), result in zip(typos, results[len(cases) :], strict=True):
        top = result.matches[0].entry if result.matches else None
        right = top is not None and top.kind is EntryKind.SCHOOL and top.ref == ref
        typo_hits += right
        confident_wrong += result.outcome is Outcome.CONFIDENT and not right
    return Figures(
        build_ms,
        statistics.median(spent) / 1e3,
        _percentile(spent, 0.99) / 1e3,
        accuracy_hits,
        typo_hits,
        confident_wrong,
    )


def measure_naive(
    entries: list[IndexEntry], cases: Sequence[Case], typos: Sequence[tuple[str, str]]
) -> Figures:
    def build() -> tuple[list[str], list[IndexEntry]]:
        pairs = [(text, entry) for entry in entries for text in (entry.name, *entry.aliases)]
        return [text for text, _ in pairs], [entry for _, entry in pairs]

    build_ms = _best_build_ms(build)
    names, owners = build()

    def run(query: str) -> IndexEntry | None:
        best = process.extractOne(query, names)
        return owners[best[2]] if best else None

    queries = [case.query for case in cases] + [query for query, _ in typos]
    for query in queries[:BASELINE_WARMUP]:
        run(query)
    answers, spent = _timed(run, queries)
    accuracy_hits = sum(
        entry is not None and case.is_answered_by(entry)
        for case, entry in zip(cases, answers[: len(cases)], strict=True)
    )
    typo_hits = sum(
        entry is not None and entry.kind is EntryKind.SCHOOL and entry.ref == ref
        for (_, ref), entry in zip(typos, answers[len(cases) :], strict=True)
    )
    return Figures(
        build_ms,
        statistics.median(spent) / 1e3,
        _percentile(spent, 0.99) / 1e3,
        accuracy_hits,
        typo_hits,
        None,
    )


def _report(
    title: str,
    entries: list[IndexEntry],
    typos: list[tuple[str, str]],
    cases: Sequence[Case] = CASES,
) -> None:
    ours = measure_ours(entries, cases, typos)
    naive = measure_naive(entries, cases, typos)
    n_cases, n_typos = len(cases), len(typos)
    print(f"\n{title}: {len(entries)} entries, {n_cases} accuracy + {n_typos} typo queries")
    print(f"  {'':22}{'ours':>14}{'naive extractOne':>20}{'ours/naive':>12}")
    rows = (
        ("index build", f"{ours.build_ms:.1f} ms", f"{naive.build_ms:.1f} ms",
         ours.build_ms / naive.build_ms),
        ("median lookup", f"{ours.median_us:.0f} µs", f"{naive.median_us:.0f} µs",
         ours.median_us / naive.median_us),
        ("p99 lookup", f"{ours.p99_us:.0f} µs", f"{naive.p99_us:.0f} µs",
         ours.p99_us / naive.p99_us),
        ("hit rate, accuracy set", f"{ours.accuracy_hits / n_cases:.3f}",
         f"{naive.accuracy_hits / n_cases:.3f}", None),
        ("hit rate, typo set", f"{ours.typo_hits / n_typos:.3f}",
         f"{naive.typo_hits / n_typos:.3f}", None),
        ("confident but wrong", f"{ours.confident_wrong}/{n_typos}", "n/a", None),
    )  # fmt: skip
    for label, mine, theirs, ratio in rows:
        shown = f"{ratio:.2f}x" if ratio is not None else ""
        print(f"  {label:22}{mine:>14}{theirs:>20}{shown:>12}")


def main() -> None:
    started = time.perf_counter()
    shipped = shipped_entries()
    shipped_schools = [entry for entry in shipped if entry.kind is EntryKind.SCHOOL]
    generated = generate_national_entries(NATIONAL_SCHOOLS, SEED)
    print(
        "Accuracy hit: the right school/area/municipality first and the expected outcome (ours)"
        " or first (naive).\nTypo hit: the misspelt school first. Latency per lookup, one"
        " process, after warm-up."
    )
    _report("(a) shipped directory", shipped, typo_queries(shipped_schools, SHIPPED_TYPOS, SEED))
    _report(
        f"(b) shipped + {NATIONAL_SCHOOLS:,} generated schools",
        shipped + generated,
        typo_queries(generated, NATIONAL_TYPOS, SEED),
    )
    chains = list(chain_entries())
    chain_schools = [entry for entry in chains if entry.kind is EntryKind.SCHOOL]
    _report(
        "(c) shipped + free-standing chain schools",
        chains,
        typo_queries(chain_schools, SHIPPED_TYPOS, SEED),
        CHAIN_CASES,
    )
    _report_home()
    print(f"\ntotal run time {time.perf_counter() - started:.1f} s")


HOME_ROUNDS = 20  # each pin and postcode this many times: the sets are small


def _report_home() -> None:
    """(d) Pins and postcodes: build time, median and p99 per answer, hit rate."""
    from bot.services.home import HomeFinder
    from knowledge.directory import shipped_geography
    from knowledge.home_maps import shipped_home_maps
    from tests.test_home_accuracy import PINS, POSTCODES, pin_hit, postcode_hit

    maps, geography = shipped_home_maps(), shipped_geography()
    build_ms = _best_build_ms(lambda: HomeFinder(maps, geography))
    finder = HomeFinder(maps, geography)
    pins = [f"{pin.lat},{pin.lon}" for pin in PINS] * HOME_ROUNDS
    codes = [case.text for case in POSTCODES] * HOME_ROUNDS

    def by_pin(text: str) -> object:
        lat, lon = text.split(",")
        return finder.by_location(float(lat), float(lon))

    hits = sum(map(pin_hit, PINS)) + sum(map(postcode_hit, POSTCODES))
    total = len(PINS) + len(POSTCODES)
    print(f"\n(d) the child's home: {len(PINS)} pins, {len(POSTCODES)} postcodes")
    print(f"  {'polygons + postcodes build':28}{build_ms:>10.1f} ms")
    for label, run, queries in (("pin", by_pin, pins), ("postcode", finder.by_postcode, codes)):
        for query in queries[: len(queries) // HOME_ROUNDS]:  # warm-up
            run(query)
        _, spent = _timed(run, queries)
        median, p99 = statistics.median(spent) / 1e3, _percentile(spent, 0.99) / 1e3
        print(f"  {label + ' median / p99':28}{median:>10.0f} µs {p99:>8.0f} µs")
    print(f"  {'hit rate':28}{hits / total:>10.3f} ({hits}/{total})")


if __name__ == "__main__":
    main()
