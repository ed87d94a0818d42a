#!/usr/bin/python3
"""pool_map.py: Python's Pool.map dispatch cost per task and its workers' start latency: the peer
of speedlab's pool-overhead and start-methods experiments (issue 3)."""
import time

import slpeer

DESCRIPTION = """\
Pool(P, context=start_method).map(square, range(N), chunksize=C) on a warmed pool.
Reports wall_s (that map alone), dispatch_us_per_task ((map wall - the wall of a one-task map)
/ N: the per-task cost beyond the fixed cost of one map call), start_latency_ms (worker asked
for -> its initializer done, median over workers), pool_start_ms (Pool() called -> every worker
ready) and pool_stop_ms (close+join)."""

PARAMS = [("tasks", 100000, "number of trivial tasks N")]


def main():
    slpeer.parse_args(DESCRIPTION, PARAMS)
    ax = slpeer.Axes(processes=2, chunksize="1", start_method="fork")
    ntasks = slpeer.param_int("tasks", 100000)
    slpeer.limit_threads_by_env(ax.threads)
    cs = ax.chunksize_for(ntasks)
    slpeer.say(f"{ax.describe(ntasks)} tasks={ntasks}")

    with slpeer.TimedPool(ax.context(), ax.processes) as pool:
        latency_ms, start_ms = pool.wait_ready()
        # Warm: every worker has unpickled `square` once and the result handler is running.
        pool.map(slpeer.square, range(4 * ax.processes), chunksize=1)
        fixed = []
        for _ in range(5):
            t = time.perf_counter()
            pool.map(slpeer.square, [0], chunksize=1)
            fixed.append(time.perf_counter() - t)
        fixed_s = sorted(fixed)[len(fixed) // 2]

        t = time.perf_counter()
        out = pool.map(slpeer.square, range(ntasks), chunksize=cs)
        wall = time.perf_counter() - t

        stop_ms = pool.stop()

    if slpeer.corrupt_for_test():
        out[-1] += 1
    if out != [i * i for i in range(ntasks)]:
        bad = next(i for i, v in enumerate(out) if v != i * i)
        raise slpeer.Wrong(f"task {bad}: got {out[bad]}, expected {bad * bad}")

    dispatch_us = max(0.0, wall - fixed_s) / ntasks * 1e6
    slpeer.say(f"map {wall * 1e3:.2f} ms = {wall / ntasks * 1e6:.3f} us/task raw; one-task map "
               f"{fixed_s * 1e6:.0f} us; dispatch {dispatch_us:.3f} us/task; start latency "
               f"{latency_ms:.2f} ms; pool start {start_ms:.2f} ms; stop {stop_ms:.2f} ms")
    slpeer.emit("wall_s", wall)
    slpeer.emit("dispatch_us_per_task", dispatch_us)
    slpeer.emit("start_latency_ms", latency_ms)
    slpeer.emit("pool_start_ms", start_ms)
    slpeer.emit("pool_stop_ms", stop_ms)


if __name__ == "__main__":
    slpeer.main_guard(main)
