#!/usr/bin/python3
"""numpy_pool.py: seed 000's example 2 in Python: Pool(P) with np.dot of n x n matrices in every
worker, and the threads its BLAS adds to each worker, with the thread limit unset or set."""
import os
import time

import slpeer

DESCRIPTION = """\
Seed 000 says a Pool(4) whose tasks call np.dot uses more cores than 4, because the BLAS under
NumPy runs its own threads inside every worker. TASKS tasks, each np.dot of two seeded random
N x N matrices, over Pool(P) (chunksize 'auto' by default, as the seed's map). The parent
imports numpy before the pool, as the seed's script does at its top.

SPEEDLAB_THREADS limits the BLAS threads per worker; SPEEDLAB_THREAD_API (or the parameter
THREAD_API) says how:
  env         OPENBLAS/OMP/MKL_NUM_THREADS set in the parent before numpy is imported: every
              worker inherits it, whatever the start method (default)
  call        openblas_set_num_threads(N) in each worker's initializer (through ctypes)
  worker-env  the variables set in each worker's initializer: too late under fork, where the
              parent's OpenBLAS is already loaded and initialised (the trap the seeds fall in);
              in time under spawn/forkserver, whose workers import numpy afresh

Reports wall_s (the map alone), gflops, threads_peak (largest thread count of any worker:
from /proc/self/status after each task, and from /proc while the pool is alive),
threads_total_peak (every thread of the parent and all its descendants while the pool is
alive after the map; BLAS threads persist once created, so this is the run's peak),
threads_lib (the BLAS's own thread setting in a worker), start_latency_ms (includes the
workers' numpy import under spawn/forkserver), pool_start_ms, pool_stop_ms.
Every product is checked: sum(A @ B) must equal colsums(A) . rowsums(B).
Exit 77 when this Python has no numpy."""

PARAMS = [("n", 1000, "matrix order"),
          ("tasks", 4, "number of np.dot tasks"),
          ("seed", 1, "seed of the random matrices"),
          ("thread_api", "env", "env | call | worker-env (SPEEDLAB_THREAD_API overrides)")]

_blas = None


def blas_lib():
    """ctypes handle of the BLAS numpy loaded in this process, and the suffix of its OpenBLAS
    symbols ('' or '64_'), or (None, None) when it is not OpenBLAS."""
    global _blas
    if _blas is not None:
        return _blas
    import ctypes
    paths = []
    with open("/proc/self/maps") as f:
        for line in f:
            p = line.split()[-1]
            if p.startswith("/") and ("blas" in os.path.basename(p)) and p not in paths:
                paths.append(p)
    _blas = (None, None)
    for p in paths:
        try:
            lib = ctypes.CDLL(p)
        except OSError:
            continue
        for suffix in ("", "64_"):
            if hasattr(lib, "openblas_get_num_threads" + suffix):
                _blas = (lib, suffix)
                return _blas
    return _blas


def blas_threads():
    lib, sfx = blas_lib()
    return getattr(lib, "openblas_get_num_threads" + sfx)() if lib else None


def numpy_init(api, nthreads):
    """Worker initializer: apply the thread limit the `api` way, then load numpy (and its BLAS)."""
    if api == "worker-env" and nthreads is not None:
        for v in slpeer.THREAD_VARS:
            os.environ[v] = str(nthreads)
    import numpy  # noqa: F401  (loads the BLAS in this worker, outside the timed map)
    if api == "call" and nthreads is not None:
        lib, sfx = blas_lib()
        if lib is None:
            raise RuntimeError("thread_api=call: numpy's BLAS is not OpenBLAS")
        getattr(lib, "openblas_set_num_threads" + sfx)(nthreads)


def matrices(np, n, seed, task):
    rng = np.random.default_rng([seed, task])
    return rng.random((n, n)), rng.random((n, n))


def dot_task(arg):
    """One task: np.dot of two seeded n x n matrices. Returns (task, sum of the product,
    this worker's thread count right after it, the BLAS's thread setting, pid)."""
    import numpy as np
    task, n, seed = arg
    a, b = matrices(np, n, seed, task)
    c = np.dot(a, b)
    return task, float(c.sum()), slpeer.proc_threads("self"), blas_threads(), os.getpid()


def main():
    slpeer.parse_args(DESCRIPTION, PARAMS)
    ax = slpeer.Axes(processes=4, chunksize="auto", start_method="fork")
    n = slpeer.param_int("n", 1000, 1, 100000)
    ntasks = slpeer.param_int("tasks", 4)
    seed = slpeer.param_int("seed", 1, 0, 2**63)
    api = slpeer.env_choice("SPEEDLAB_THREAD_API", None, ("env", "call", "worker-env")) \
        or slpeer.param_choice("thread_api", "env", ("env", "call", "worker-env"))
    if api == "env":
        slpeer.limit_threads_by_env(ax.threads)
    try:
        import numpy as np
    except ImportError as e:
        raise slpeer.Skip(f"numpy is not importable by this Python ({e}); "
                          "install python3-numpy") from None
    if api == "call" and ax.threads is not None and blas_lib()[0] is None:
        raise slpeer.Skip("thread_api=call needs OpenBLAS under numpy, and this numpy's BLAS "
                          "is another")
    slpeer.say(f"{ax.describe(ntasks)} thread_api={api} n={n} tasks={ntasks} "
               f"numpy {np.__version__}")

    args = [(i, n, seed) for i in range(ntasks)]
    with slpeer.TimedPool(ax.context(), ax.processes, numpy_init, (api, ax.threads)) as pool:
        latency_ms, start_ms = pool.wait_ready()
        t = time.perf_counter()
        out = pool.map(dot_task, args, chunksize=ax.chunksize)
        wall = time.perf_counter() - t
        total, per = slpeer.tree_threads()
        workers = set(pool.worker_pids())
        stop_ms = pool.stop()

    for task, got, _, _, _ in out:
        a, b = matrices(np, n, seed, task)
        want = float(a.sum(axis=0) @ b.sum(axis=1))
        if slpeer.corrupt_for_test() and task == 0:
            got += 1.0
        if abs(got - want) > 1e-9 * abs(want) + 1e-9:
            raise slpeer.Wrong(f"task {task}: sum(A @ B) = {got!r}, expected {want!r}")

    seen = [th for _, _, th, _, _ in out if th is not None]
    seen += [per[p] for p in workers if p in per]
    libs = sorted({lt for _, _, _, lt, _ in out if lt is not None})
    gflops = 2.0 * n ** 3 * ntasks / wall / 1e9
    slpeer.say(f"map {wall * 1e3:.1f} ms, {gflops:.2f} GFLOP/s; worker threads after each task "
               f"{[th for _, _, th, _, _ in out]}; BLAS thread setting in workers {libs or '?'}; "
               f"tree threads {total} ({len(per)} processes below the parent); "
               f"start latency {latency_ms:.1f} ms; pool start {start_ms:.1f} ms")
    slpeer.emit("wall_s", wall)
    slpeer.emit("gflops", gflops)
    slpeer.emit("threads_peak", max(seen) if seen else None)
    slpeer.emit("threads_total_peak", total)
    slpeer.emit("threads_lib", max(libs) if libs else None)
    slpeer.emit("start_latency_ms", latency_ms)
    slpeer.emit("pool_start_ms", start_ms)
    slpeer.emit("pool_stop_ms", stop_ms)


if __name__ == "__main__":
    slpeer.main_guard(main)
