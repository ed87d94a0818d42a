#!/usr/bin/python3
"""helpers_count.py: seed 000's "manager process": every process and thread that Python's Pool(P)
(and, if asked, a Manager()) creates besides the P workers, counted from /proc."""
import os
import threading

import slpeer

DESCRIPTION = """\
Seed 000 says a Pool "spawns a separate process or thread dedicated to managing the pool".
This program starts Pool(P) with the given start method (and a Manager() with a Queue when
MANAGER=1, the seed's example 3), maps 4P trivial tasks so that everything has started, then,
with the pool still alive, reads /proc: the parent's threads before and after, every
descendant process (workers, forkserver, resource tracker, manager server) and its threads.
Reports threads_total_peak (every thread of the parent and its descendants at that moment) and
threads_peak (largest thread count of any worker); stderr gets the breakdown, ending in one line
  helpers: processes=N threads=M
counting what is not a worker: the helper processes, and the helper threads (the parent's added
threads plus every thread of the helper processes)."""

PARAMS = [("manager", 0, "1: also start a multiprocessing.Manager() with a Queue")]


def main():
    slpeer.parse_args(DESCRIPTION, PARAMS)
    ax = slpeer.Axes(processes=4, chunksize="1", start_method="fork")
    manager_on = slpeer.param_int("manager", 0, 0, 1) == 1
    slpeer.limit_threads_by_env(ax.threads)
    ctx = ax.context()
    me = os.getpid()
    before = slpeer.proc_threads(me)
    names_before = {t.ident for t in threading.enumerate()}
    slpeer.say(f"{ax.describe()} manager={int(manager_on)}")

    manager = ctx.Manager() if manager_on else None
    try:
        queue = manager.Queue() if manager else None
        with ctx.Pool(ax.processes) as pool:
            out = pool.map(slpeer.square, range(4 * ax.processes), chunksize=ax.chunksize)
            if queue is not None:
                queue.put(1)
                if queue.get() != 1:
                    raise slpeer.Wrong("the manager's queue returned something else")
            # the snapshot, with everything alive
            after = slpeer.proc_threads(me)
            added = [t.name for t in threading.enumerate() if t.ident not in names_before]
            total, per = slpeer.tree_threads(me)
            workers = {p.pid for p in pool._pool}
            roles = slpeer.helper_pids()
            if manager is not None:
                roles[manager._process.pid] = "manager"
            pool.close()
            pool.join()
    finally:
        if manager is not None:
            manager.shutdown()

    if slpeer.corrupt_for_test():
        out[0] += 1
    if out != [i * i for i in range(4 * ax.processes)]:
        raise slpeer.Wrong("pool.map returned wrong squares")
    missing = workers - set(per)
    if missing:
        raise slpeer.Wrong(f"workers {sorted(missing)} not found below pid {me} in /proc")

    helpers = {p: n for p, n in per.items() if p not in workers}
    slpeer.say(f"parent {me}: {before} thread(s) before the pool, {after} with it; "
               f"added: {', '.join(added) or 'none'}")
    slpeer.say(f"workers: {len(workers)} process(es), threads "
               f"{sorted(per[p] for p in workers)}")
    for pid in sorted(helpers):
        role = roles.get(pid, "other: " + slpeer.proc_cmdline(pid)[:80])
        slpeer.say(f"helper process {pid} ({role}): {helpers[pid]} thread(s)")
    helper_threads = (after - before) + sum(helpers.values())
    slpeer.say(f"tree: {1 + len(per)} processes, {total} threads")
    slpeer.say(f"helpers: processes={len(helpers)} threads={helper_threads}")
    slpeer.emit("helper_procs", len(helpers))
    slpeer.emit("helper_threads", helper_threads)
    slpeer.emit("threads_total_peak", total)
    slpeer.emit("threads_peak", max(per[p] for p in workers))


if __name__ == "__main__":
    slpeer.main_guard(main)
