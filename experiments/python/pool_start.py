#!/usr/bin/python3
"""pool_start.py: what a short-lived Python pool costs end to end: Pool(P) started, mapped and
joined, per start method (issue 3's Python figures: 8.3 ms fork, 16 ms forkserver, 51 ms spawn)."""
import time

import slpeer

DESCRIPTION = """\
Times, in one interpreter, exactly what a user's script pays for a fresh pool:
  Pool(P, context=start_method); map(square, range(N)); close(); join()
with a plain multiprocessing Pool (no instrumentation inside the timed section). For forkserver
the time includes starting the fork server, for spawn every worker's fresh interpreter and its
import of this script. Reports wall_s (that whole sequence) and pool_stop_ms (close+join).
Interpreter start-up of this program itself is not included."""

PARAMS = [("tasks", 10, "number of trivial tasks mapped")]


def main():
    slpeer.parse_args(DESCRIPTION, PARAMS)
    ax = slpeer.Axes(processes=2, chunksize="auto", start_method="fork")
    ntasks = slpeer.param_int("tasks", 10)
    slpeer.limit_threads_by_env(ax.threads)
    ctx = ax.context()
    slpeer.say(f"{ax.describe(ntasks)} tasks={ntasks}")

    t0 = time.perf_counter()
    with ctx.Pool(ax.processes) as pool:
        out = pool.map(slpeer.square, range(ntasks), chunksize=ax.chunksize)
        t1 = time.perf_counter()
        pool.close()
        pool.join()
    t2 = time.perf_counter()

    if slpeer.corrupt_for_test():
        out[0] += 1
    if out != [i * i for i in range(ntasks)]:
        raise slpeer.Wrong("pool.map returned wrong squares")
    slpeer.say(f"start+map {(t1 - t0) * 1e3:.2f} ms, close+join {(t2 - t1) * 1e3:.2f} ms, "
               f"total {(t2 - t0) * 1e3:.2f} ms")
    slpeer.emit("wall_s", t2 - t0)
    slpeer.emit("pool_stop_ms", (t2 - t1) * 1e3)


if __name__ == "__main__":
    slpeer.main_guard(main)
