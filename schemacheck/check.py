"""The check itself: staleness, then breaks against the baseline, reported line by line."""

import argparse
import subprocess
import sys

from schemacheck.compare import Break, breaking_changes
from schemacheck.files import COMMITTED, INTENDED, ROOT, UPDATE_COMMAND, parse
from schemacheck.generate import render_schema
from schemacheck.intended import Intended, is_marked, read_intended

RELATIVE = COMMITTED.relative_to(ROOT).as_posix()


def main(argv: list[str] | None = None) -> int:
    """0 when the committed schema is current and nothing broke unmarked; 1 otherwise."""
    parser = argparse.ArgumentParser(prog="python -m schemacheck", description=__doc__)
    parser.add_argument(
        "--base",
        metavar="REV",
        help=f"compare against {RELATIVE} as committed at this git revision (in CI the commit "
        "before, HEAD^, whose schema the clients have) instead of the working tree's copy",
    )
    args = parser.parse_args(argv)

    fresh_bytes = render_schema()
    committed_bytes = COMMITTED.read_bytes() if COMMITTED.exists() else b""
    stale = fresh_bytes != committed_bytes
    if args.base is None:
        baseline, baseline_name = committed_bytes or None, RELATIVE
    else:
        baseline, baseline_name = committed_at(args.base), f"{RELATIVE} at {args.base}"

    failed = stale
    if baseline is None:
        print(f"schema check: no {baseline_name}: no baseline to compare against")
    else:
        try:
            breaks = breaking_changes(parse(baseline), parse(fresh_bytes))
            failed |= report_breaks(breaks, read_intended(INTENDED), baseline_name)
        except ValueError as error:  # a baseline that is no schema, an entry without reason
            sys.exit(f"schema check: {error}")
    if stale:
        print(
            f"schema check: {RELATIVE} is not the schema the code serves. Every API change "
            f"updates it in the same commit: {UPDATE_COMMAND} (in the default environment: "
            "a few settings, such as API_MAX_BODY_BYTES, appear in its descriptions)"
        )
    elif not failed:
        print(f"schema check: {RELATIVE} is current")
    return int(failed)


def report_breaks(breaks: list[Break], intended: list[Intended], baseline_name: str) -> bool:
    """Prints each break, marked or not; True when any is not marked intended."""
    unmarked = [found for found in breaks if not is_marked(found, intended)]
    print(
        f"schema check: {len(breaks)} breaking change(s) against {baseline_name}, "
        f"{len(unmarked)} not marked intended"
    )
    for found in breaks:
        print(f"  {'intended' if is_marked(found, intended) else 'BREAKING'}  {found}")
    if unmarked:
        print(
            f"A client built on {baseline_name} breaks. Restore what it relies on, or, if the "
            f"break is meant, add its line and the reason to {INTENDED.relative_to(ROOT)}."
        )
    return bool(unmarked)


def committed_at(revision: str) -> bytes | None:
    """The schema as committed at `revision`, or None where it was not committed yet."""
    git = ["git", "-C", str(ROOT)]
    if subprocess.run(
        [*git, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"], capture_output=True
    ).returncode:
        sys.exit(f"schema check: {revision!r} is no commit of this repository")
    shown = subprocess.run([*git, "show", f"{revision}:{RELATIVE}"], capture_output=True)
    return shown.stdout if shown.returncode == 0 else None
