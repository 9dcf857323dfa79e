"""One-compartment IV-bolus pharmacokinetics: the example external model (protocols dth.external-model/1 and
dth.external-model-batch/1).

Reads one JSON request on standard input (times, scenario, parameters) and writes one JSON answer on standard output:
{"outputs": {"C": [...], "A": [...]}}, one value per requested time; or, in the batch protocol, a request with many
subjects and an answer {"answers": [...]} with one such answer each. Deterministic: the same parameters give the same
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


def simulate(subject, times):
    """The outputs of one subject (its scenario, duration and parameters) at the requested times."""
    p = subject["parameters"]
    cl, v, dose = p["CL"], p["V"], p["dose"]
    if cl <= 0 or v <= 0:
        raise ValueError("CL and V must be positive")
    k = cl / v
    given = doses(subject["scenario"], subject["duration"])
    amounts = []
    for t in times:
        # Superposition of the boluses given up to t; a bolus at t counts (the value just after it).
        amounts.append(sum(dose * math.exp(-k * (t - td)) for td in given if td <= t))
    return {"outputs": {"C": [a / v for a in amounts], "A": amounts}}


def main():
    request = json.load(sys.stdin)
    protocol = request.get("protocol")
    if protocol == "dth.external-model/1":
        # One subject: its fields are the request's own.
        json.dump(simulate(request, request["times"]), sys.stdout)
    elif protocol == "dth.external-model-batch/1":
        # Many subjects in one process (executor.batchSize > 1): one answer each, in order; an error fails only its subject.
        answers = []
        for subject in request["subjects"]:
            try:
                answers.append(simulate(subject, request["times"]))
            except ValueError as e:
                answers.append({"error": str(e)})
        json.dump({"answers": answers}, sys.stdout)
    else:
        raise ValueError(f"unsupported protocol {protocol!r}")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - any failure is this subject's failure, said on stderr
        print(f"one_compartment.py ({os.environ.get('DTH_MODEL_DIR', '?')}): {e}", file=sys.stderr)
        sys.exit(2)
