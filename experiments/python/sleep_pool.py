#!/usr/bin/python3
"""sleep_pool.py: seed 002's example in Python: TASKS tasks of a fixed sleep, run sequentially
(P = 1) or over Pool(P), timed the way the seed times them."""
import time

import slpeer

DESCRIPTION = """\
Seed 002 reports 5.00 s sequential and 1.00 s with Pool(5) for 5 tasks of time.sleep(1) that
then square their input. P = 1 runs the plain loop in this process (the seed's "sequential");
P > 1 times, as the seed does, everything from Pool() to the end of the `with` block: start,
map, close and join. Waiting, not computing: the pool wins even beyond the core count.
Reports wall_s."""

PARAMS = [("tasks", 5, "number of tasks"),
          ("ms", 1000, "sleep per task, milliseconds")]


def main():
    slpeer.parse_args(DESCRIPTION, PARAMS)
    ax = slpeer.Axes(processes=5, chunksize="auto", start_method="fork")
    ntasks = slpeer.param_int("tasks", 5)
    ms = slpeer.param_float("ms", 1000.0, 0.0, 3.6e6)
    slpeer.limit_threads_by_env(ax.threads)
    args = [(n, ms / 1e3) for n in range(1, ntasks + 1)]
    if ax.processes == 1:
        slpeer.say(f"sequential (P=1, no pool) tasks={ntasks} ms={ms:g}")
        t = time.perf_counter()
        out = [slpeer.sleep_square(a) for a in args]
        wall = time.perf_counter() - t
    else:
        slpeer.say(f"{ax.describe(ntasks)} tasks={ntasks} ms={ms:g}")
        t = time.perf_counter()
        with ax.context().Pool(ax.processes) as pool:
            out = pool.map(slpeer.sleep_square, args, chunksize=ax.chunksize)
            pool.close()
            pool.join()
        wall = time.perf_counter() - t
    if slpeer.corrupt_for_test():
        out[0] += 1
    if out != [n * n for n in range(1, ntasks + 1)]:
        raise slpeer.Wrong(f"results {out[:8]}... are not the squares of 1..{ntasks}")
    slpeer.say(f"{wall:.3f} s for {ntasks} x {ms:g} ms (ideal {ms / 1e3 * ntasks:.3f} s "
               f"sequential)")
    slpeer.emit("wall_s", wall)


if __name__ == "__main__":
    slpeer.main_guard(main)
