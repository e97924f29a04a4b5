"""``python -m bench``: run every benchmark; ``--quick`` for a smaller smoke run."""

from __future__ import annotations

import argparse
import sys

from bench import (
    certificates,
    course_download,
    ledger,
    lists,
    low_bandwidth,
    page_counting,
    photos,
    push,
    replicator,
    share_image,
    sync_pouchdb,
)

BENCHMARKS = {
    "sync_pouchdb": sync_pouchdb,
    "photos": photos,
    "push": push,
    "low_bandwidth": low_bandwidth,
    "replicator": replicator,
    "lists": lists,
    "ledger": ledger,
    "certificates": certificates,
    "course_download": course_download,
    "page_counting": page_counting,
    "share_image": share_image,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run the benchmarks: figures, and ratios to a baseline measured alongside.",
    )
    parser.add_argument("--quick", action="store_true", help="fewer documents, one repetition")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="instead of measuring, profile Hirfa's side once (cProfile) and print hotspots",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="low_bandwidth: the 5,000-document first sync on every network",
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help=f"benchmarks to run: {', '.join(BENCHMARKS)}"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.names) - set(BENCHMARKS))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    for name in args.names or BENCHMARKS:
        module = BENCHMARKS[name]
        if args.profile:
            report = module.profile(quick=args.quick)
            print(report)
            module.PROFILE_OUTPUT.write_text(report)
            print(f"written to {module.PROFILE_OUTPUT}")
        else:
            module.run(quick=args.quick, **({"full": True} if args.full else {}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
