#!/usr/bin/python3
"""SciPy baselines for the solver benchmark (run by DthGrains.Benchmarks, `solver`).

Same models, scenarios, tolerances and output grids as the C# side:
  bergman-loop        Bergman minimal model, one simulated day (3 meals with 5-minute insulin pulses),
                      rtol 1e-6, atol 1e-9, outputs every 5 min, RK45, one solve_ivp per patient.
  bergman-vectorised  the same for a cohort of N patients stacked into one system of 5N states.
  pkpd-stiff          two-compartment PK/PD at the stiff setting, 7 daily doses, outputs hourly, LSODA and BDF.
Integration restarts at every input change (segments), as in the engine. Prints one JSON object with the
wall-clock and CPU seconds of every repetition (the caller takes best and median, and alternates rounds with its own).

CPU time is time.process_time(): the CPU seconds of every thread of this process. NumPy's element-wise operations are
single-threaded, but RK45's stage combinations go through BLAS (dot), and a threaded BLAS would spread them over
cores; process time counts all of that, where time.thread_time() would count only this thread and flatter SciPy.
The BLAS thread pools are pinned to one thread below anyway, so that "per core" holds on machines with OpenBLAS/MKL.
"""
import json, os, sys, time

# Before NumPy loads its BLAS: one thread, so the baseline runs on one core (the caller sets these too).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np
from scipy.integrate import solve_ivp

# Bergman parameters (BergmanMinimalModel defaults) and scenario (MixedMealDay).
P1, P2, P3, N, VI, GB, IB, VG, BW, F, TAU = 0.028735, 0.028344, 5.035e-5, 5.0 / 54, 12.0, 81.0, 4.5, 1.7, 70.0, 0.9, 40.0
BASAL = N * IB * VI  # mU/min
MEALS = {420.0: 50.0, 720.0: 70.0, 1140.0: 80.0}          # g
PULSES = [(420.0, 400.0), (720.0, 600.0), (1140.0, 700.0)]  # start, extra mU/min for 5 min
BREAKS = [0.0, 420.0, 425.0, 720.0, 725.0, 1140.0, 1145.0, 1440.0]
T_EVAL = np.arange(0.0, 1440.0 + 1e-9, 5.0)
RTOL, ATOL = 1e-6, 1e-9


def rate(t0):
    u = BASAL
    for s, extra in PULSES:
        if s <= t0 < s + 5:
            u += extra
    return u


def bergman_rhs(u):
    def f(t, x):
        g, xi, i, d1, d2 = x
        return [-(P1 + xi) * g + P1 * GB + F * d2 / (TAU * VG * BW),
                -P2 * xi + P3 * (i - IB),
                -N * i + u / VI,
                -d1 / TAU,
                (d1 - d2) / TAU]
    return f


def bergman_vec_rhs(u, n):
    def f(t, y):
        x = y.reshape(5, n)
        g, xi, i, d1, d2 = x
        out = np.empty_like(x)
        out[0] = -(P1 + xi) * g + P1 * GB + F * d2 / (TAU * VG * BW)
        out[1] = -P2 * xi + P3 * (i - IB)
        out[2] = -N * i + u / VI
        out[3] = -d1 / TAU
        out[4] = (d1 - d2) / TAU
        return out.reshape(-1)
    return f


def segments_eval(a, b, last):
    mask = (T_EVAL >= a) & ((T_EVAL < b) | (last & (T_EVAL <= b)))
    return T_EVAL[mask]


def bergman_one():
    x = np.array([GB, 0.0, IB, 0.0, 0.0])
    out = []
    for k in range(len(BREAKS) - 1):
        a, b = BREAKS[k], BREAKS[k + 1]
        if a in MEALS:
            x[3] += MEALS[a] * 1000
        te = segments_eval(a, b, k == len(BREAKS) - 2)
        full = te if len(te) and te[-1] == b else np.append(te, b)
        s = solve_ivp(bergman_rhs(rate(a)), (a, b), x, method="RK45", rtol=RTOL, atol=ATOL, t_eval=full)
        out.append(s.y[0][:len(te)])
        x = s.y[:, -1]
    return np.concatenate(out)


def bergman_vectorised(n):
    x = np.concatenate([np.full(n, GB), np.zeros(n), np.full(n, IB), np.zeros(n), np.zeros(n)])
    for k in range(len(BREAKS) - 1):
        a, b = BREAKS[k], BREAKS[k + 1]
        if a in MEALS:
            x[3 * n:4 * n] += MEALS[a] * 1000
        te = segments_eval(a, b, k == len(BREAKS) - 2)
        te = np.append(te, b) if len(te) == 0 or te[-1] != b else te
        s = solve_ivp(bergman_vec_rhs(rate(a), n), (a, b), x, method="RK45", rtol=RTOL, atol=ATOL, t_eval=te)
        x = s.y[:, -1]
    return x


# PK/PD at the stiff setting (PkPdModel defaults with StiffParameters).
KA, FB, CL, VC, Q, VP, KE0 = 50.0, 1.0, 5.0, 20.0, 2000.0, 40.0, 2000.0
J = np.array([[-KA, 0, 0, 0],
              [KA, -(CL + Q) / VC, Q / VP, 0],
              [0, Q / VC, -Q / VP, 0],
              [0, KE0 / VC, 0, -KE0]])


def pk_rhs(t, x):
    return J @ x


def pk_one(method):
    x = np.zeros(4)
    ts = np.arange(0.0, 168.0 + 1e-9, 1.0)
    for d in range(7):
        a, b = 24.0 * d, 24.0 * (d + 1)
        x[0] += FB * 100.0
        te = ts[(ts >= a) & ((ts < b) | ((d == 6) & (ts <= b)))]
        kw = {"jac": (lambda t, y: J)} if method != "RK45" else {}
        s = solve_ivp(pk_rhs, (a, b), x, method=method, rtol=RTOL, atol=ATOL, t_eval=np.append(te, b) if te[-1] != b else te, **kw)
        x = s.y[:, -1]
    return x


def timed(fn, min_seconds):
    """Calls fn repeatedly for at least min_seconds of wall-clock time (at least once) and returns the wall-clock
    and CPU seconds of each call."""
    wall, cpu, start = [], [], time.perf_counter()
    while True:
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
        if time.perf_counter() - start >= min_seconds:
            return {"wall_s": wall, "cpu_s": cpu}


def main():
    mode = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 3.0
    if mode == "bergman-loop":
        g = bergman_one()
        print(json.dumps({**timed(bergman_one, seconds), "glucose_peak": float(g.max()), "points": int(len(g))}))
    elif mode == "bergman-vectorised":
        n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
        bergman_vectorised(n)
        print(json.dumps({**timed(lambda: bergman_vectorised(n), seconds), "patients": n}))
    elif mode == "pkpd-stiff":
        res = {}
        for m in ("LSODA", "BDF"):
            x = pk_one(m)
            res[m] = {**timed(lambda: pk_one(m), seconds), "final_central_mg": float(x[1])}
        print(json.dumps(res))
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
