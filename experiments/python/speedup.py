#!/usr/bin/python3
"""speedup.py: seed 003's speedup table in Python: a CPU-bound pure-Python task over Pool(P)."""
import slpeer

DESCRIPTION = """\
Seed 003 reports 415, 209, 107, 56 ms at 1, 2, 4, 8 processes on an 8-core machine. This is
that workload's peer: TASKS tasks, each counting the primes among COST consecutive integers
from 1,000,000 up by trial division (pure Python: the GIL-bound work the seed parallelises),
mapped over a warmed Pool(P) (P = 1 is a pool of one worker, not a plain loop). Every count is
checked against a sieve. Reports wall_s (the map alone: no pool start or shutdown), imbalance
(max/mean busy time per worker), start_latency_ms, pool_start_ms and pool_stop_ms."""

PARAMS = [("tasks", 8, "number of tasks"),
          ("cost", 25000, "integers tested per task (about 2 us each here)")]


def main():
    slpeer.parse_args(DESCRIPTION, PARAMS)
    ax = slpeer.Axes(processes=1, chunksize="1", start_method="fork")
    ntasks = slpeer.param_int("tasks", 8)
    cost = slpeer.param_int("cost", 25000, 1, 10**8)
    slpeer.limit_threads_by_env(ax.threads)
    slpeer.say(f"{ax.describe(ntasks)} tasks={ntasks} cost={cost}")
    slpeer.run_prime_pool(ax, [cost] * ntasks)


if __name__ == "__main__":
    slpeer.main_guard(main)
