"""How fast the synthetic generator is, and how much memory it takes, from the demo to 20M.

Each case runs in a fresh Python process, one after the other (never in parallel), so
that its peak resident memory (``resource.getrusage(...).ru_maxrss``) is its own. The
imports and one tiny warm-up call happen before the clock starts. Wall time is the
median of ``--repeat`` runs; CPU time (user + system) is printed beside it because on
a shared machine wall time also counts other jobs.

    python benchmarks/bench_synthetic.py                 # every case
    python benchmarks/bench_synthetic.py --cases demo ml20m --repeat 3

Cases (users x items x interactions, seed 0 unless said):

- ``demo``: ``reclite.demo_dataset()`` uncached (2,000 x 1,500 x 100,000, its own seed)
- ``smoke``: 20,000 x 5,000 x 1,000,000 (seed 1, as in the tests)
- ``competition``: 31,360 x 6,807 x 5,150,000 (dense: about 164 per user)
- ``ml20m``: 138,000 x 27,000 x 20,000,000 (the MovieLens 20M shape)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys

CASES: dict[str, tuple[int, int, int, int]] = {
    "demo": (2_000, 1_500, 100_000, -1),
    "smoke": (20_000, 5_000, 1_000_000, 1),
    "competition": (31_360, 6_807, 5_150_000, 0),
    "ml20m": (138_000, 27_000, 20_000_000, 0),
}


def _run_one(name: str, repeat: int) -> dict[str, object]:
    """Run one case in this process and return its measurements."""
    import resource
    import time

    import numpy as np

    from reclite.data.demo import demo_dataset
    from reclite.data.synthetic import synthetic_dataset

    n_users, n_items, n_inter, seed = CASES[name]
    synthetic_dataset(50, 40, 500, random_state=0)  # warm-up: imports, first-touch

    def once():
        if name == "demo":
            demo_dataset.cache_clear()
            return demo_dataset()
        return synthetic_dataset(n_users, n_items, n_inter, random_state=seed)

    walls, cpus = [], []
    ds = None
    for _ in range(repeat):
        del ds
        c0, t0 = time.process_time(), time.perf_counter()
        ds = once()
        walls.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
    per_user = np.bincount(ds.user_idx, minlength=ds.n_users)
    key = ds.user_idx.astype(np.int64) * ds.n_items + ds.item_idx
    return {
        "case": name, "users": ds.n_users, "items": ds.n_items, "asked": n_inter,
        "generated": len(ds), "unique_pairs": bool(len(np.unique(key)) == len(key)),
        "max_per_user": int(per_user.max()), "wall_s": statistics.median(walls),
        "cpu_s": statistics.median(cpus), "walls": walls,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cases", nargs="+", default=list(CASES), choices=list(CASES))
    ap.add_argument("--repeat", type=int, default=None,
                    help="runs per case (default: 5 for demo and smoke, 1 for the large ones)")
    ap.add_argument("--one", choices=list(CASES), help=argparse.SUPPRESS)  # child process mode
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(_run_one(args.one, args.repeat or 1)))
        return

    print(f"# {platform.node()} | {platform.processor() or platform.machine()} | {os.cpu_count()} cores | "
          f"Python {platform.python_version()}")
    header = (f"{'case':<12} {'users':>8} {'items':>7} {'asked':>11} {'generated':>11} {'unique':>6} "
              f"{'max/user':>8} {'wall s':>7} {'cpu s':>7} {'M inter/s':>9} {'peak RSS MB':>11}")
    print(header)
    print("-" * len(header))
    for name in args.cases:
        repeat = args.repeat or (5 if name in ("demo", "smoke") else 1)
        out = subprocess.run([sys.executable, __file__, "--one", name, "--repeat", str(repeat)],
                             capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        rate = r["generated"] / r["wall_s"] / 1e6
        print(f"{r['case']:<12} {r['users']:>8,} {r['items']:>7,} {r['asked']:>11,} {r['generated']:>11,} "
              f"{'yes' if r['unique_pairs'] else 'NO':>6} {r['max_per_user']:>8,} {r['wall_s']:>7.2f} "
              f"{r['cpu_s']:>7.2f} {rate:>9.2f} {r['peak_rss_mb']:>11.0f}")


if __name__ == "__main__":
    main()
