"""How long `hotline lab up` takes: warm (root cached) and, with --cold, cold.

    .venv/bin/python -m bench.lab_start [--runs 3] [--cold]

Warm: the lab is brought down and up again `--runs` times (the running lab is
restarted, so nothing else should be using it). Cold: a fresh sid root is built by
debootstrap into a temporary folder (about 500 MB, network to Debian's mirror),
started, stopped and deleted; the usual cache is not touched.
"""
from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from hotline import lab
from hotline.settings import get_settings


def _timed_up(settings) -> tuple[float, dict]:
    started = time.monotonic()
    info = lab.up(settings)
    return time.monotonic() - started, info


def warm_runs(runs: int) -> list[float]:
    settings = get_settings()
    lab.up(settings)  # make sure the root exists
    durations = []
    for _ in range(runs):
        lab.down(settings)
        seconds, info = _timed_up(settings)
        assert info["changed"] and info["build_s"] == 0.0
        durations.append(seconds)
    started = time.monotonic()
    assert lab.up(settings)["changed"] is False
    print(f"second 'up' on a running lab: {time.monotonic() - started:.3f} s, no change")
    return durations


def cold_run() -> tuple[float, dict]:
    base = get_settings()
    lab.down(base)  # the ports are the same: only one lab at a time
    scratch = Path(tempfile.mkdtemp(prefix="hotline-cold-", dir="/var/tmp"))
    settings = dataclasses.replace(base, lab_root=scratch / "sid-root",
                                   state_dir=scratch / "state")
    try:
        seconds, info = _timed_up(settings)
        lab.down(settings)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        lab.up(base)
    return seconds, info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cold", action="store_true")
    args = parser.parse_args()
    durations = warm_runs(args.runs)
    print(f"warm 'lab up' (cached root), {args.runs} runs: "
          f"median {statistics.median(durations):.2f} s, max {max(durations):.2f} s "
          f"(target < 15 s)")
    if args.cold:
        seconds, info = cold_run()
        print(f"cold 'lab up' (debootstrap + boot): {seconds:.1f} s "
              f"(root build {info['build_s']} s, boot {info['boot_s']} s)")


if __name__ == "__main__":
    main()
