"""What every benchmark script shares: timing, peak memory, a machine line, a table printer.

- :func:`compare` times several callables in the same process: one untimed warm-up call
  each (numba compilation, caches, first-touch page faults are excluded), then
  ``repeat`` rounds in which the callables alternate (so load from other jobs on a
  shared machine hits each alike); it keeps wall and process-CPU seconds of every run
  (CPU time is less sensitive to other jobs on a shared machine than wall time), and
  then measures memory in one more, untimed run of each.
- :class:`PeakRSS` measures memory honestly for what it is: the resident set size of
  this process (``/proc/self/statm``), sampled by a background thread every
  ``interval`` seconds while the call runs, minus the RSS just before the call. It
  sees every allocator (NumPy, numba, BLAS, C++ in implicit) but can miss a spike
  shorter than the interval, and memory the allocator reuses from earlier frees does
  not show as growth. Where ``/proc`` is missing it reports NaN. ``tracemalloc`` gives
  a second, allocator-independent number for NumPy arrays.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> float:
    """Resident set size of this process now (NaN where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return float(int(fh.read().split()[1]) * _PAGE)
    except OSError:
        return float("nan")


class PeakRSS:
    """Context manager: ``peak_mb`` = the highest sampled RSS above the RSS at entry, in MB."""

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.baseline = float("nan")
        self.peak = float("nan")
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes())
            time.sleep(self.interval)

    def __enter__(self) -> PeakRSS:
        self.baseline = rss_bytes()
        self.peak = self.baseline
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.peak = max(self.peak, rss_bytes())
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    @property
    def peak_mb(self) -> float:
        return (self.peak - self.baseline) / 2**20


@dataclass
class Measurement:
    """One callable's timed runs and its memory pass.

    ``times`` are wall seconds, ``cpu`` process CPU seconds (all threads) of the same runs;
    ``peak_rss_mb`` and ``peak_traced_mb`` come from one extra, untimed run.
    """

    times: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    peak_rss_mb: float = float("nan")
    peak_traced_mb: float = float("nan")
    result: Any = None

    @property
    def median(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu) if self.cpu else float("nan")

    @property
    def spread(self) -> tuple[float, float]:
        """(fastest, slowest) wall seconds of the timed runs."""
        return (min(self.times), max(self.times)) if self.times else (float("nan"), float("nan"))

    def summary(self, digits: int = 2) -> str:
        """``median [min-max]`` of the wall seconds, e.g. ``0.72 [0.65-0.91]``."""
        lo, hi = self.spread
        return f"{self.median:.{digits}f} [{lo:.{digits}f}-{hi:.{digits}f}]"


def compare(fns: dict[str, Callable[[], Any]], repeat: int = 3, warmup: int | dict[str, int] = 1,
            measure_memory: bool | Collection[str] = True) -> dict[str, Measurement]:
    """Warm each callable up, time ``repeat`` alternating rounds, then one memory pass each.

    The timed runs carry no probe; in each round the callables run in turn, in the
    given order and the reverse order alternately. ``warmup``: untimed calls per
    callable (or per name). ``measure_memory``: True, False, or the names to measure.
    The memory pass runs each callable once more under :class:`PeakRSS` and
    ``tracemalloc`` (which sees NumPy's array allocations, including implicit's, but
    not numba's or BLAS's internal buffers; reclite's kernels allocate no large
    buffers of their own).
    """
    import tracemalloc

    out = {name: Measurement() for name in fns}
    for name, fn in fns.items():
        for _ in range(warmup.get(name, 1) if isinstance(warmup, dict) else warmup):
            out[name].result = fn()
    for r in range(repeat):
        names = list(fns) if r % 2 == 0 else list(reversed(fns))  # alternate who goes first
        for name in names:
            start, cpu0 = time.perf_counter(), time.process_time()
            res = fns[name]()
            m = out[name]
            m.times.append(time.perf_counter() - start)
            m.cpu.append(time.process_time() - cpu0)
            m.result = res
    if measure_memory:
        for name, fn in fns.items():
            if measure_memory is not True and name not in measure_memory:
                continue
            tracemalloc.start()
            try:
                tracemalloc.reset_peak()
                base = tracemalloc.get_traced_memory()[0]
                with PeakRSS() as probe:
                    out[name].result = fn()
                out[name].peak_traced_mb = (tracemalloc.get_traced_memory()[1] - base) / 2**20
            finally:
                tracemalloc.stop()
            out[name].peak_rss_mb = probe.peak_mb
    return out


def _lib_version(name: str) -> str:
    try:
        mod = __import__(name)
        return str(getattr(mod, "__version__", "?"))
    except ImportError:
        return "missing"


def machine_line() -> str:
    """CPU, cores, memory, Python and library versions, and the thread settings that matter."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f", {int(line.split()[1]) / 2**20:.0f} GB RAM"
                break
    except OSError:
        pass
    threads = ""
    try:
        import numba

        threads = f", numba threads {numba.get_num_threads()}"
    except ImportError:
        pass
    try:
        from threadpoolctl import threadpool_info

        blas = [f"{i.get('internal_api')} {i.get('num_threads')}" for i in threadpool_info()
                if i.get("user_api") == "blas"]
        if blas:
            threads += f", BLAS threads {blas[0]}"
    except ImportError:
        pass
    libs = ", ".join(f"{n} {_lib_version(n)}" for n in ("numpy", "scipy", "numba", "implicit", "reclite"))
    return (f"machine: {cpu}, {os.cpu_count()} CPUs{mem}; {platform.system()} {platform.release()}; "
            f"Python {platform.python_version()}; {libs}{threads}")


def load_now() -> str:
    """The 1-minute load average (other jobs on a shared machine inflate timings)."""
    try:
        return f"{os.getloadavg()[0]:.1f}"
    except OSError:
        return "?"


def data_dir() -> Path | None:
    """RECLITE_DATA, else ../shared/data beside the checkout; None when neither exists."""
    env = os.environ.get("RECLITE_DATA")
    here = Path(__file__).resolve().parent.parent
    for cand in ([Path(env)] if env else []) + [here.parent / "shared" / "data", here / "shared" / "data"]:
        if cand.is_dir():
            return cand
    return None


def dataset_path(name: str) -> Path:
    """The folder (or file) of public dataset ``name``; exits with a clear message when missing."""
    base = data_dir()
    if base is None or not (base / name).exists():
        sys.exit(f"{name} not found: set RECLITE_DATA to the folder holding the public datasets")
    return base / name


def fmt(value: Any, digits: int = 2) -> str:
    if isinstance(value, float):
        if value != value:
            return "-"
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], digits: int = 2) -> str:
    """A fixed-width text table (first column left-aligned, the rest right-aligned); returns it too."""
    cells = [[fmt(v, digits) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(widths[i]) if i == 0 else h.rjust(widths[i]) for i, h in enumerate(headers))]
    lines.append("  ".join("-" * w for w in widths))
    for r in cells:
        lines.append("  ".join(c.ljust(widths[i]) if i == 0 else c.rjust(widths[i]) for i, c in enumerate(r)))
    text = "\n".join(lines)
    print(text, flush=True)
    return text
