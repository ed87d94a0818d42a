#!/usr/bin/python3
"""chunks.py: seeds 001/003's chunk-size advice in Python: skewed pure-Python tasks over
Pool(P).map with a given chunksize (speedlab sweeps it)."""
import slpeer

DESCRIPTION = """\
Small chunks balance, large chunks amortise: TASKS prime-counting tasks (as in speedup.py)
whose costs follow DIST with mean COST integers each: 'uniform' (all equal), 'lognormal'
(sigma 1, seeded) or 'one-heavy' (one task, at a seeded position, HEAVY times the others),
mapped over a warmed Pool(P) with SPEEDLAB_CHUNKSIZE (a number, or 'auto' for Python's own
rule). Every count is checked against a sieve. Reports wall_s (the map alone), imbalance
(max/mean busy time per worker), start_latency_ms, pool_start_ms and pool_stop_ms."""

PARAMS = [("tasks", 256, "number of tasks"),
          ("cost", 1000, "mean integers tested per task (about 2 us each here)"),
          ("dist", "lognormal", "uniform | lognormal | one-heavy"),
          ("heavy", 32, "one-heavy: the heavy task's cost over the others'"),
          ("seed", 1, "seed of the cost draw")]


def main():
    slpeer.parse_args(DESCRIPTION, PARAMS)
    ax = slpeer.Axes(processes=2, chunksize="auto", start_method="fork")
    ntasks = slpeer.param_int("tasks", 256)
    cost = slpeer.param_int("cost", 1000, 1, 10**8)
    dist = slpeer.param_choice("dist", "lognormal", ("uniform", "lognormal", "one-heavy"))
    heavy = slpeer.param_float("heavy", 32.0, 1.0, 1e6)
    seed = slpeer.param_int("seed", 1, 0, 2**63)
    slpeer.limit_threads_by_env(ax.threads)
    costs = slpeer.task_costs(dist, ntasks, cost, seed, heavy)
    slpeer.say(f"{ax.describe(ntasks)} tasks={ntasks} dist={dist} mean cost={cost} "
               f"(min {min(costs)}, max {max(costs)})")
    slpeer.run_prime_pool(ax, costs)


if __name__ == "__main__":
    slpeer.main_guard(main)
