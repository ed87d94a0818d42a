"""slpeer.py: what every Python peer program shares: speedlab's environment, `@speedlab` lines,
a Pool that times its workers' start, /proc process-tree counts, and the pure-Python task kernels.

Standard library only (spawn and forkserver workers import this module; it must stay cheap).
"""
import math
import multiprocessing
import multiprocessing.pool
import os
import signal
import sys
import time

# argparse, random, bisect and gc are imported where used: spawn and forkserver workers import
# this module too, and every import there is start-up cost charged to Python's pool.

EXIT_WRONG = 1      # the program's own correctness check failed, or a worker failed
EXIT_USAGE = 2      # bad environment value or option
EXIT_SKIP = 77      # this configuration does not apply (e.g. numpy missing, dispatch=shm)

START_METHODS = ("fork", "spawn", "forkserver")
PRIME_BASE = 1_000_000   # prime-count tasks start here, so every number costs about the same


class Usage(Exception):
    """A bad environment value: reported and exit 2."""


class Skip(Exception):
    """A configuration that does not apply: reported and exit 77."""


class Wrong(Exception):
    """The program's own correctness check failed: reported and exit 1."""


class WorkerFailed(Exception):
    """A worker could not start or run: reported and exit 1."""


PROG = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "slpeer"


def say(msg):
    """Human text: stderr only (stdout carries nothing but `@speedlab` lines)."""
    print(f"{PROG}: {msg}", file=sys.stderr, flush=True)


def emit(key, value):
    """One `@speedlab key=value` line on stdout; None or NaN values are not printed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return
    if isinstance(value, int):
        text = str(value)
    else:
        text = f"{value:.9g}"
    print(f"@speedlab {key}={text}", flush=True)


ENV_HELP = """\
environment (set by speedlab's `command` workload; the defaults apply when unset):
  SPEEDLAB_PROCESSES      pool size P
  SPEEDLAB_CHUNKSIZE      chunksize of Pool.map: a number or 'auto' (Python's rule ceil(N/(4P)))
  SPEEDLAB_START_METHOD   fork | spawn | forkserver
  SPEEDLAB_THREADS        unset | auto (CPUs/P) | N: BLAS/OpenMP threads per worker, applied by
                          setting OPENBLAS/OMP/MKL_NUM_THREADS before numpy is imported
  SPEEDLAB_DISPATCH       pipe (Python's Pool has nothing else; shm is skipped with exit 77)
  SPEEDLAB_PARAM_<NAME>   workload parameters, listed below
stdout carries only `@speedlab key=value` lines; everything else goes to stderr.
exit: 0 ok, 1 the program's own result check failed, 2 bad input, 77 skipped (reason on stderr)"""


def parse_args(description, params):
    """--help for a peer program: description, the common environment, and its own parameters
    (params: list of (NAME, default, help)). Exits 2 on any argument (all input is environment)."""
    lines = [ENV_HELP, "", "parameters:"]
    for name, default, text in params:
        lines.append(f"  SPEEDLAB_PARAM_{name.upper():<10} {text} (default {default})")
    import argparse
    ap = argparse.ArgumentParser(description=description, epilog="\n".join(lines),
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.parse_args()


# ---------------------------------------------------------------- environment

def _raw(name):
    v = os.environ.get(name)
    return None if v is None or v.strip() == "" else v.strip()


def env_int(name, default, lo=1, hi=10**12):
    v = _raw(name)
    if v is None:
        return default
    try:
        n = int(v)
    except ValueError:
        try:
            f = float(v)
        except ValueError:
            raise Usage(f"{name}: expected an integer, got '{v}'") from None
        if not f.is_integer():
            raise Usage(f"{name}: expected an integer, got '{v}'")
        n = int(f)
    if n < lo or n > hi:
        raise Usage(f"{name}: {n} is outside {lo}..{hi}")
    return n


def env_float(name, default, lo=0.0, hi=1e12):
    v = _raw(name)
    if v is None:
        return default
    try:
        f = float(v)
    except ValueError:
        raise Usage(f"{name}: expected a number, got '{v}'") from None
    if not (lo <= f <= hi):
        raise Usage(f"{name}: {v} is outside {lo:g}..{hi:g}")
    return f


def env_choice(name, default, choices):
    v = _raw(name)
    if v is None:
        return default
    if v not in choices:
        raise Usage(f"{name}: '{v}' is not one of {'|'.join(choices)}")
    return v


def param_int(name, default, lo=1, hi=10**12):
    return env_int("SPEEDLAB_PARAM_" + name.upper(), default, lo, hi)


def param_float(name, default, lo=0.0, hi=1e12):
    return env_float("SPEEDLAB_PARAM_" + name.upper(), default, lo, hi)


def param_choice(name, default, choices):
    return env_choice("SPEEDLAB_PARAM_" + name.upper(), default, choices)


def median(xs):
    """Median of a non-empty sequence (statistics is too costly an import for workers)."""
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def cpus():
    """Logical CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


class Axes:
    """speedlab's axes as this run sees them."""

    def __init__(self, processes=2, chunksize="1", start_method="fork"):
        self.processes = env_int("SPEEDLAB_PROCESSES", processes, 1, 4096)
        cs = _raw("SPEEDLAB_CHUNKSIZE") or chunksize
        if cs == "auto":
            self.chunksize = None
        elif _raw("SPEEDLAB_CHUNKSIZE") is None:
            self.chunksize = int(chunksize)
        else:
            self.chunksize = env_int("SPEEDLAB_CHUNKSIZE", 1, 1, 10**9)
        sm = _raw("SPEEDLAB_START_METHOD") or start_method
        if sm == "mpi":
            raise Skip("start method mpi: Python's multiprocessing has no mpi start method")
        self.start_method = env_choice("SPEEDLAB_START_METHOD", start_method, START_METHODS)
        dispatch = _raw("SPEEDLAB_DISPATCH") or "pipe"
        if dispatch in ("shm", "batch"):
            raise Skip(f"dispatch {dispatch}: Python's Pool sends every chunk through its pipes; only pipe applies")
        if dispatch != "pipe":
            raise Usage(f"SPEEDLAB_DISPATCH: '{dispatch}' is not one of pipe|batch|shm")
        th = _raw("SPEEDLAB_THREADS") or "unset"
        if th == "unset":
            self.threads = None
        elif th == "auto":
            self.threads = max(1, cpus() // self.processes)
        else:
            self.threads = env_int("SPEEDLAB_THREADS", 1, 1, 4096)
        self.threads_text = th

    def chunksize_for(self, ntasks):
        """The chunksize Pool.map will use: the set one, or Python's own rule for 'auto'."""
        if self.chunksize is not None:
            return self.chunksize
        if ntasks == 0:
            return 0
        cs, extra = divmod(ntasks, self.processes * 4)
        return cs + 1 if extra else cs

    def describe(self, ntasks=None):
        cs = "auto" if self.chunksize is None else str(self.chunksize)
        if self.chunksize is None and ntasks is not None:
            cs += f" (={self.chunksize_for(ntasks)})"
        return (f"P={self.processes} start_method={self.start_method} chunksize={cs} "
                f"threads={self.threads_text}")

    def context(self):
        return multiprocessing.get_context(self.start_method)


THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def limit_threads_by_env(n):
    """Set the BLAS/OpenMP thread variables to n in this process's environment, which every
    worker inherits. Effective only when done before numpy (and so OpenBLAS) is first imported
    in whichever process loads it first: with fork, that is this parent."""
    if n is None:
        return
    if "numpy" in sys.modules:
        say("warning: numpy already imported here: the thread limit reaches only workers that "
            "import it afresh (spawn, forkserver)")
    for v in THREAD_VARS:
        os.environ[v] = str(n)


# ---------------------------------------------------------------- the pool

def _ignore_term_default():
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _worker_init(ready, init, initargs):
    # A worker inherits (fork) the parent's SIGTERM handler; Pool.terminate() expects the default.
    _ignore_term_default()
    try:
        if os.environ.get("SLPEER_FAIL_INIT") == "1":   # the test suite's way to break a worker
            raise RuntimeError("failing on request (SLPEER_FAIL_INIT=1)")
        if init is not None:
            init(*initargs)
    except BaseException as e:
        # Pool would restart a failing worker forever: tell the parent, then die.
        ready.put((os.getpid(), None, f"{type(e).__name__}: {e}"))
        raise
    ready.put((os.getpid(), time.monotonic(), None))


class TimedPool(multiprocessing.pool.Pool):
    """multiprocessing.Pool that stamps the moment each worker is asked for; with wait_ready()
    it gives each worker's start latency (asked for -> initializer done), CLOCK_MONOTONIC being
    shared by every process on Linux. Costs one SimpleQueue and one put per worker start."""

    @staticmethod
    def Process(ctx, *args, **kwds):
        p = ctx.Process(*args, **kwds)
        p._sl_requested = time.monotonic()
        return p

    def __init__(self, ctx, processes, initializer=None, initargs=()):
        self._sl_t0 = time.monotonic()
        self._sl_ready = ctx.SimpleQueue()
        super().__init__(processes, _worker_init, (self._sl_ready, initializer, initargs),
                         context=ctx)

    def wait_ready(self, timeout=120.0):
        """Wait until every worker has run its initializer. Returns (start_latency_ms median
        over workers, pool_start_ms from the Pool() call to the last worker ready).
        Raises TimeoutError when a worker is not ready within timeout seconds, WorkerFailed
        when a worker's initializer raised."""
        want = len(self._pool)
        ready = {}
        deadline = time.monotonic() + timeout
        reader = self._sl_ready._reader
        while len(ready) < want:
            if not reader.poll(max(0.0, deadline - time.monotonic())):
                raise TimeoutError(f"{want - len(ready)} of {want} workers not ready "
                                   f"after {timeout:g} s")
            pid, t, err = self._sl_ready.get()
            if err is not None:
                raise WorkerFailed(f"worker {pid}: initializer failed: {err}")
            ready[pid] = t
        lat = []
        for p in self._pool:
            if p.pid in ready:
                lat.append(ready[p.pid] - getattr(p, "_sl_requested", self._sl_t0))
        t_all = max(ready.values())
        return median(lat) * 1e3, (t_all - self._sl_t0) * 1e3

    def stop(self):
        """close() and join(); returns the milliseconds it took (pool_stop_ms)."""
        t = time.monotonic()
        self.close()
        self.join()
        return (time.monotonic() - t) * 1e3

    def worker_pids(self):
        return [p.pid for p in self._pool]


def stop_helpers():
    """Stop and reap the forkserver and resource-tracker processes this program started, so that
    nothing outlives it and their CPU time is counted in its rusage. Uses their private _stop()
    (what CPython's own tests use); skipped silently where this Python lacks it. Never fails."""
    import gc
    gc.collect()   # finalise the pools' semaphores first, or the tracker warns about leaks
    try:
        from multiprocessing import forkserver
        fs = forkserver._forkserver
        if getattr(fs, "_forkserver_pid", None) is not None and hasattr(fs, "_stop"):
            fs._stop()
    except Exception as e:   # noqa: BLE001 - best effort, reported
        say(f"warning: stopping the forkserver: {e}")
    try:
        from multiprocessing import resource_tracker
        rt = resource_tracker._resource_tracker
        if getattr(rt, "_pid", None) is not None and hasattr(rt, "_stop"):
            rt._stop()
    except Exception as e:   # noqa: BLE001
        say(f"warning: stopping the resource tracker: {e}")


def helper_pids():
    """{pid: role} of the helper processes multiprocessing started in this process."""
    out = {}
    try:
        from multiprocessing import forkserver
        pid = getattr(forkserver._forkserver, "_forkserver_pid", None)
        if pid:
            out[pid] = "forkserver"
    except Exception:   # noqa: BLE001
        pass
    try:
        from multiprocessing import resource_tracker
        pid = getattr(resource_tracker._resource_tracker, "_pid", None)
        if pid:
            out[pid] = "resource_tracker"
    except Exception:   # noqa: BLE001
        pass
    return out


def main_guard(body):
    """Run body() and turn the outcome into speedlab's exit codes. SIGTERM becomes SystemExit
    so `with Pool(...)` blocks terminate their workers on the way out."""
    def on_term(signum, frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, on_term)
    code = 0
    try:
        body()
    except Usage as e:
        say(f"error: {e}")
        code = EXIT_USAGE
    except Skip as e:
        say(f"skipped: {e}")
        code = EXIT_SKIP
    except Wrong as e:
        say(f"wrong result: {e}")
        code = EXIT_WRONG
    except (TimeoutError, WorkerFailed) as e:
        say(f"error: {e}")
        code = EXIT_WRONG
    finally:
        stop_helpers()
    sys.exit(code)


def corrupt_for_test():
    """True when the test suite asks the program to spoil one result, proving its check fails."""
    return os.environ.get("SLPEER_CORRUPT") == "1"


# ---------------------------------------------------------------- /proc

def proc_threads(pid):
    """Thread count of pid from /proc/PID/status, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Threads:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None


def proc_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def descendants(root):
    """Every live descendant pid of root (children, their children, ...), from /proc."""
    children = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, ppid = fields[0], int(fields[1])
        if state in ("Z", "X"):
            continue
        children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        for c in children.get(p, ()):
            out.append(c)
            todo.append(c)
    return out


def tree_threads(root=None):
    """(total threads of root and all its descendants, {pid: threads} of the descendants)."""
    root = root or os.getpid()
    per = {}
    for pid in descendants(root):
        n = proc_threads(pid)
        if n is not None:
            per[pid] = n
    return (proc_threads(root) or 0) + sum(per.values()), per


# ---------------------------------------------------------------- task kernels

def square(x):
    """The trivial task of the pool-overhead measurements (the seeds' `square`)."""
    return x * x


def sleep_square(arg):
    """Seed 002's task: sleep, then square."""
    x, seconds = arg
    time.sleep(seconds)
    return x * x


def _is_prime(n):
    if n < 2:
        return False
    if n % 2 == 0:
        return n == 2
    d = 3
    while d * d <= n:
        if n % d == 0:
            return False
        d += 2
    return True


def count_primes(arg):
    """CPU-bound pure-Python task: count primes in [lo, hi) by trial division. Returns
    (count, pid, CPU seconds) so the parent can check the count and see each worker's load
    (CPU time, not wall: with more workers than cores, time-slicing would inflate wall time)."""
    lo, hi = arg
    t = time.process_time()
    c = 0
    for n in range(lo, hi):
        if _is_prime(n):
            c += 1
    return c, os.getpid(), time.process_time() - t


def prime_ranges(costs):
    """Consecutive ranges from PRIME_BASE, one per task, task i holding costs[i] numbers."""
    out, lo = [], PRIME_BASE
    for c in costs:
        out.append((lo, lo + c))
        lo += c
    return out


def prime_prefix(hi):
    """Sieve of Eratosthenes below hi; returns a sorted list of the primes >= PRIME_BASE
    (the independent check of count_primes)."""
    sieve = bytearray([1]) * hi
    sieve[0:2] = b"\0\0"
    for p in range(2, math.isqrt(hi - 1) + 1):
        if sieve[p]:
            sieve[p * p::p] = bytes(len(range(p * p, hi, p)))
    return [n for n in range(PRIME_BASE, hi) if sieve[n]]


def check_prime_counts(ranges, counts):
    """Raise Wrong unless counts[i] is the number of primes in ranges[i]."""
    import bisect
    hi = max(r[1] for r in ranges)
    primes = prime_prefix(hi)
    for i, ((lo, up), got) in enumerate(zip(ranges, counts)):
        want = bisect.bisect_left(primes, up) - bisect.bisect_left(primes, lo)
        if got != want:
            raise Wrong(f"task {i}: {got} primes in [{lo}, {up}), expected {want}")


def task_costs(dist, ntasks, mean, seed, heavy):
    """Per-task costs (numbers to test) with the given mean: 'uniform' all equal, 'lognormal'
    sigma 1 scaled to the mean, 'one-heavy' one task (at a seeded position) `heavy` times the
    others. Deterministic for a given seed."""
    import random
    rng = random.Random(seed)
    if dist == "uniform":
        raw = [1.0] * ntasks
    elif dist == "lognormal":
        raw = [rng.lognormvariate(0.0, 1.0) for _ in range(ntasks)]
    elif dist == "one-heavy":
        raw = [1.0] * ntasks
        raw[rng.randrange(ntasks)] = float(heavy)
    else:
        raise Usage(f"dist: '{dist}' is not one of uniform|lognormal|one-heavy")
    scale = mean * ntasks / sum(raw)
    return [max(1, round(r * scale)) for r in raw]


def imbalance(results, pids):
    """max / mean of per-worker busy (CPU) time; workers that got nothing count as 0."""
    busy = {p: 0.0 for p in pids}
    for _, pid, secs in results:
        busy[pid] = busy.get(pid, 0.0) + secs
    vals = list(busy.values())
    mean = sum(vals) / len(vals) if vals else 0.0
    return max(vals) / mean if mean > 0 else None


def run_prime_pool(ax, costs):
    """Count primes over ranges of the given per-task costs on a warmed Pool(P): the shared body
    of speedup.py and chunks.py. Checks every count (Wrong on a mismatch) and emits wall_s (the
    map alone), imbalance, start_latency_ms, pool_start_ms and pool_stop_ms."""
    ranges = prime_ranges(costs)
    cs = ax.chunksize_for(len(ranges))
    with TimedPool(ax.context(), ax.processes) as pool:
        latency_ms, start_ms = pool.wait_ready()
        pool.map(square, range(4 * ax.processes), chunksize=1)   # warm
        pids = pool.worker_pids()
        t = time.perf_counter()
        out = pool.map(count_primes, ranges, chunksize=cs)
        wall = time.perf_counter() - t
        stop_ms = pool.stop()
    counts = [c for c, _, _ in out]
    if corrupt_for_test():
        counts[len(counts) // 2] += 1
    check_prime_counts(ranges, counts)
    imb = imbalance(out, pids)
    busy = sum(s for _, _, s in out)
    say(f"map {wall * 1e3:.1f} ms over {len(ranges)} tasks ({sum(costs)} numbers, "
        f"{sum(counts)} primes); busy {busy * 1e3:.1f} ms in all; imbalance "
        f"{imb if imb is None else round(imb, 3)}; start latency {latency_ms:.2f} ms; "
        f"pool start {start_ms:.2f} ms; stop {stop_ms:.2f} ms")
    emit("wall_s", wall)
    emit("imbalance", imb)
    emit("start_latency_ms", latency_ms)
    emit("pool_start_ms", start_ms)
    emit("pool_stop_ms", stop_ms)
