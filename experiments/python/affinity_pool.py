#!/usr/bin/python3
"""affinity_pool.py: seed 000's affinity advice in Python: Pool(P) whose initializer pins each
worker with os.sched_setaffinity, np.dot in every task, and where the workers' threads really ran."""
import os
import threading
import time

import numpy_pool
import slpeer

DESCRIPTION = """\
Seed 000 says `taskset` can map a pool's processes to specific cores, "however, it will not
prevent libraries from spawning their own threads inside each worker". This program runs
Pool(P) whose initializer pins worker i with os.sched_setaffinity to the CPUs speedlab's plan
gives it (SPEEDLAB_AFFINITY_PLAN: one CPU list per worker, ';'-separated, as the affinity axis
computes it; empty: no pinning), then maps TASKS np.dot of N x N matrices. The parent imports
numpy before the pool, as the seed's script does, so OpenBLAS has already sized its thread pool
to the whole machine when the workers are pinned.

While the map runs a sampling thread reads /proc/PID/task/TID/stat of every worker thread
(field 39, the CPU it last ran on; a CPU counts when the thread ran since the last look) and
/proc/PID/task/TID/sched (nr_migrations) before and after. Reports wall_s, gflops,
threads_peak (largest worker thread count), threads_lib (OpenBLAS's thread setting in a
worker), cpus_used (distinct CPUs the workers' threads ran on) and migrations.
Exit 77 when this Python has no numpy."""

PARAMS = [("n", 512, "matrix order"),
          ("tasks", 8, "number of np.dot tasks"),
          ("seed", 1, "seed of the random matrices")]


def cpu_list(text):
    """'0-2,5' -> {0, 1, 2, 5}."""
    out = set()
    for part in text.split(","):
        if "-" in part:
            a, b = part.split("-")
            out.update(range(int(a), int(b) + 1))
        elif part:
            out.add(int(part))
    return out


def pin_init(plan, counter):
    """Worker initializer: take the next worker index, pin this process to its CPUs (threads it
    starts later inherit them; threads numpy's BLAS re-creates after fork do too), load numpy."""
    with counter.get_lock():
        i = counter.value
        counter.value += 1
    if plan:
        os.sched_setaffinity(0, cpu_list(plan[i % len(plan)]))
    import numpy  # noqa: F401


def task_stats(pid):
    """{tid: (state, cputime ticks, cpu)} of pid's threads."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[0] is field 3 (state); utime, stime are fields 14, 15; processor is field 39
        out[tid] = (fields[0], int(fields[11]) + int(fields[12]), int(fields[36]))
    return out


def migrations(pids):
    total = 0
    for pid in pids:
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                with open(f"/proc/{pid}/task/{tid}/sched") as f:
                    for line in f:
                        if line.startswith("se.nr_migrations"):
                            total += int(line.split(":")[1])
            except (OSError, ValueError):
                continue
    return total


class Sampler(threading.Thread):
    """Which CPUs the workers' threads ran on while the map runs (20 samples a second)."""

    def __init__(self, pids):
        super().__init__(daemon=True)
        self.pids, self.cpus, self.last, self.done = pids, set(), {}, threading.Event()

    def look(self):
        for pid in self.pids:
            for tid, (state, ticks, cpu) in task_stats(pid).items():
                prev = self.last.get((pid, tid))
                if state == "R" or (prev is not None and ticks > prev):
                    self.cpus.add(cpu)
                self.last[(pid, tid)] = ticks

    def run(self):
        while not self.done.wait(0.05):
            self.look()
        self.look()


def main():
    slpeer.parse_args(DESCRIPTION, PARAMS)
    ax = slpeer.Axes(processes=2, chunksize="1", start_method="fork")
    n = slpeer.param_int("n", 512, 1, 100000)
    ntasks = slpeer.param_int("tasks", 8)
    seed = slpeer.param_int("seed", 1, 0, 2**63)
    plan = [p for p in os.environ.get("SPEEDLAB_AFFINITY_PLAN", "").split(";") if p]
    slpeer.limit_threads_by_env(ax.threads)
    try:
        import numpy as np
    except ImportError as e:
        raise slpeer.Skip(f"numpy is not importable by this Python ({e}); "
                          "install python3-numpy") from None
    slpeer.say(f"{ax.describe(ntasks)} affinity={os.environ.get('SPEEDLAB_AFFINITY', 'none')} "
               f"plan={plan or 'none'} n={n} tasks={ntasks} numpy {np.__version__}")

    ctx = ax.context()
    args = [(i, n, seed) for i in range(ntasks)]
    with slpeer.TimedPool(ctx, ax.processes, pin_init, (plan, ctx.Value("i", 0))) as pool:
        pool.wait_ready()
        workers = pool.worker_pids()
        mig0 = migrations(workers)
        sampler = Sampler(workers)
        sampler.look()
        sampler.start()
        t = time.perf_counter()
        out = pool.map(numpy_pool.dot_task, args, chunksize=ax.chunksize)
        wall = time.perf_counter() - t
        sampler.done.set()
        sampler.join()
        moved = migrations(workers) - mig0
        pool.stop()

    for task, got, _, _, _ in out:
        a, b = numpy_pool.matrices(np, n, seed, task)
        want = float(a.sum(axis=0) @ b.sum(axis=1))
        if slpeer.corrupt_for_test() and task == 0:
            got += 1.0
        if abs(got - want) > 1e-9 * abs(want) + 1e-9:
            raise slpeer.Wrong(f"task {task}: sum(A @ B) = {got!r}, expected {want!r}")
    threads = [th for _, _, th, _, _ in out if th is not None]
    libs = sorted({lt for _, _, _, lt, _ in out if lt is not None})
    slpeer.say(f"map {wall * 1e3:.1f} ms; worker threads {threads}; BLAS threads {libs or '?'}; "
               f"CPUs used {sorted(sampler.cpus)}; migrations {moved}")
    slpeer.emit("wall_s", wall)
    slpeer.emit("gflops", 2.0 * n ** 3 * ntasks / wall / 1e9)
    slpeer.emit("threads_peak", max(threads) if threads else None)
    slpeer.emit("threads_lib", max(libs) if libs else None)
    slpeer.emit("cpus_used", len(sampler.cpus) if sampler.cpus else None)
    slpeer.emit("migrations", moved)


if __name__ == "__main__":
    slpeer.main_guard(main)
