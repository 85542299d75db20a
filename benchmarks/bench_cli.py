"""How long the command line takes to start, and how much memory a streamed `recommend --out` needs.

Part 1, start-up (``--startup``): the wall time of whole commands, each a fresh process,
beside two references measured in the same rounds:

- ``python -c pass``: the interpreter alone;
- the import floor, ``python -c "import sklearn.base, pandas, scipy.sparse"``: what any
  reclite command that touches a model or a Dataset must import;
- ``reclite --help``, ``reclite models``, and the demo quick start's ``reclite recommend -k
  10`` (the model of ``reclite fit als --confidence genre+pop``, fitted once beforehand;
  stdout to /dev/null), and the same with an EASE model of the demo data.

The commands alternate round by round (``--runs`` rounds), so load from other jobs on a
shared machine hits each alike; the table gives the median, min and max, and each
median's distance above the floor's median.

Part 2, streamed output (``--memory``): the synthetic MovieLens 20M shape
(``reclite.synthetic_dataset(138_000, 27_000, 20_000_000)``, times ``--scale``), a
Popularity model fitted on it (any model writes the same rows; Popularity keeps the fit
short), then three processes, each measured by its own peak resident memory
(``os.wait4``'s ``ru_maxrss``):

- ``load``: loading the model only (the floor every way of recommending pays);
- ``streamed``: ``reclite recommend -k K --out recs.csv --max-memory 256MB`` (batches);
- ``one-shot``: what ``recommend --out`` did before: every user's list in one DataFrame,
  one CSV string, one write;

for each ``-k`` (default 10 and 100). The two CSV files are checked to be identical.

    python benchmarks/bench_cli.py                       # both parts, --scale 0.1
    python benchmarks/bench_cli.py --startup --runs 7
    python benchmarks/bench_cli.py --memory --scale 1 --work /tmp/bench-cli   # the full shape, kept
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _harness import machine_line  # noqa: E402

PY = sys.executable
FLOOR = "import sklearn.base, pandas, scipy.sparse"


def reclite_cmd() -> list[str]:
    """The console script beside this interpreter, else ``python -m reclite``."""
    script = Path(PY).with_name("reclite")
    return [str(script)] if script.exists() else [PY, "-m", "reclite"]


def run(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, peak RSS in MB) of one process; stdout discarded, stderr checked."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err}")
    return wall, usage.ru_maxrss / 1024


def startup(runs: int, work: Path) -> None:
    rc = reclite_cmd()
    subprocess.run([*rc, "fit", "als", "--confidence", "genre+pop", "--quiet"], cwd=work, check=True)
    subprocess.run([*rc, "fit", "ease", "--out", "ease-model", "--quiet", "--no-record"], cwd=work, check=True)
    cases = {
        "python -c pass": [PY, "-c", "pass"],
        "import floor": [PY, "-c", FLOOR],
        "reclite --help": [*rc, "--help"],
        "reclite models": [*rc, "models"],
        "reclite recommend -k 10": [*rc, "recommend", "-k", "10", "--quiet"],
        "  the same, EASE model": [*rc, "recommend", "--model", "ease-model", "-k", "10", "--quiet"],
    }
    for cmd in cases.values():  # one untimed run each: the OS file cache, numba's cache files
        run(cmd, work)
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, cmd in cases.items():
            times[name].append(run(cmd, work)[0])
    floor = statistics.median(times["import floor"])
    print(f"\nStart-up, wall seconds over {runs} rounds (commands alternating; {machine_line()})")
    print(f"{'command':<26} {'median':>7} {'min':>7} {'max':>7} {'vs floor':>9}")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"{name:<26} {med:7.2f} {min(ts):7.2f} {max(ts):7.2f} {med - floor:+9.2f}")


ONE_SHOT = """
import sys, reclite
m = reclite.load_model(sys.argv[1])
recs = m.recommend(k=int(sys.argv[3]))
text = recs[["user", "item", "rank", "score"]].to_csv(index=False, float_format="%.6g", lineterminator="\\n")
with open(sys.argv[2], "w", encoding="utf-8", newline="") as fh:
    fh.write(text)
"""


FIT = """
import sys, reclite
ds = reclite.synthetic_dataset(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), random_state=0)
reclite.Popularity().fit(ds).save(sys.argv[4])
"""


def memory(scale: float, work: Path, max_memory: str, ks: list[int]) -> None:
    shape = (max(int(138_000 * scale), 10), max(int(27_000 * scale), 10), max(int(20_000_000 * scale), 100))
    model_dir = work / f"pop-model-{shape[0]}x{shape[1]}x{shape[2]}"
    if not model_dir.is_dir():  # kept with --work DIR: a rerun of the same shape reuses it
        # in a process of its own: a child's peak RSS counts what its parent held when it
        # forked, so this process stays small
        seconds = run([PY, "-c", FIT, *map(str, shape), str(model_dir)], work)[0]
        print(f"\ndata and Popularity fit: {seconds:.1f} s")
    print(f"\nStreamed output: synthetic {shape[0]:,} users x {shape[1]:,} items x {shape[2]:,} interactions "
          f"(--scale {scale:g}), Popularity")
    rc = reclite_cmd()
    base = run([PY, "-c", "import sys, reclite; reclite.load_model(sys.argv[1])", str(model_dir)], work)
    print(f"{'process':<40} {'wall s':>7} {'peak RSS MB':>12} {'above load':>11}   (this process: "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB)")
    print(f"{'load the model':<40} {base[0]:7.1f} {base[1]:12.0f} {0:+11.0f}")
    for k in ks:
        cases = {
            f"k={k} streamed (--max-memory {max_memory})": [
                *rc, "recommend", "--model", str(model_dir), "-k", str(k), "--out", str(work / "streamed.csv"),
                "--quiet", "--max-memory", max_memory],
            f"k={k} one-shot (before)": [PY, "-c", ONE_SHOT, str(model_dir), str(work / "one-shot.csv"), str(k)],
        }
        for name, cmd in cases.items():
            wall, peak = run(cmd, work)
            print(f"{name:<40} {wall:7.1f} {peak:12.0f} {peak - base[1]:+11.0f}")
        same = (work / "streamed.csv").read_bytes() == (work / "one-shot.csv").read_bytes()
        size = (work / "streamed.csv").stat().st_size / 2**20
        print(f"    output: {size:,.0f} MB of CSV, {shape[0] * k:,} rows; streamed and one-shot files identical: "
              f"{same}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--startup", action="store_true", help="only the start-up part")
    ap.add_argument("--memory", action="store_true", help="only the streamed-output part")
    ap.add_argument("--runs", type=int, default=7, help="start-up rounds (default 7)")
    ap.add_argument("--scale", type=float, default=0.1,
                    help="share of the 138,000 x 27,000 x 20M shape (default 0.1; 1 is the full shape)")
    ap.add_argument("--max-memory", default="256MB", help="recommend's --max-memory (default 256MB)")
    ap.add_argument("-k", type=int, nargs="+", default=[10, 100], help="list lengths (default: 10 100)")
    ap.add_argument("--work", type=Path, help="keep the model here and reuse it (default: a temporary folder)")
    args = ap.parse_args()
    both = not (args.startup or args.memory)
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-cli-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        if args.startup or both:
            startup(args.runs, work)
        if args.memory or both:
            memory(args.scale, work, args.max_memory, args.k)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
