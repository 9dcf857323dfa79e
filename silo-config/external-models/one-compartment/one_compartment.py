"""One-compartment IV-bolus pharmacokinetics: the example external model (protocol dth.external-model/1).

Reads one JSON request on standard input (times, scenario, parameters) and writes one JSON answer on standard output:
{"outputs": {"C": [...], "A": [...]}}, one value per requested time. Deterministic: the same parameters give the same
numbers, as the platform's reproducibility needs (a stochastic code would seed its generator with request["seed"], the
same for a subject on every silo and in every re-run). Errors go to standard error with a non-zero exit code.
"""
import json
import math
import os
import sys

DOSE_INTERVAL_H = 24.0


def doses(scenario, duration):
    if scenario == "reference":
        return [0.0]
    if scenario == "daily":
        return [k * DOSE_INTERVAL_H for k in range(int(duration // DOSE_INTERVAL_H) + 1) if k * DOSE_INTERVAL_H <= duration]
    raise ValueError(f"unknown scenario {scenario!r}")


def main():
    request = json.load(sys.stdin)
    if request.get("protocol") != "dth.external-model/1":
        raise ValueError(f"unsupported protocol {request.get('protocol')!r}")
    p = request["parameters"]
    cl, v, dose = p["CL"], p["V"], p["dose"]
    if cl <= 0 or v <= 0:
        raise ValueError("CL and V must be positive")
    k = cl / v
    given = doses(request["scenario"], request["duration"])
    amounts = []
    for t in request["times"]:
        # Superposition of the boluses given up to t; a bolus at t counts (the value just after it).
        amounts.append(sum(dose * math.exp(-k * (t - td)) for td in given if td <= t))
    json.dump({"outputs": {"C": [a / v for a in amounts], "A": amounts}}, sys.stdout)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - any failure is this subject's failure, said on stderr
        print(f"one_compartment.py ({os.environ.get('DTH_MODEL_DIR', '?')}): {e}", file=sys.stderr)
        sys.exit(2)
