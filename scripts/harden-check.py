#!/usr/bin/env python3
"""The must-show checks of the hardening pass (issue 5) over every `ok` case of the realworld
corpus. Exits 1 when a target is missed, 2 when it cannot run.

  scripts/harden-check.py [--checkov] [--keep DIR]

1. --harden restricted --namespace kubeferry-check: 0 restricted PSS violations, 0 schema and
   0 semantic errors (Kubernetes 1.30 and 1.37) for every case that converts; cases refused
   only because a service demands privileges (error H001) are counted and named; any other
   failure is a miss.
2. Default level: 0 PSS baseline violations, except in workloads whose Compose service asks
   for it explicitly and got warning H002 naming the Compose key.
3. Both levels: every container of a long-running workload (Deployment, StatefulSet,
   DaemonSet) with a TCP port or a healthcheck has liveness and readiness probes (Jobs run to
   completion and are not probed; Kubernetes has no UDP probe, so UDP-only containers are
   listed instead); every container, init containers included, has cpu and
   memory requests, and a memory limit unless the report says it was left open (nothing
   says what the container needs; warning H012). Where each memory limit comes from is
   counted from the report: the Compose file, a JVM heap, memory-backed /dev/shm added,
   kubeferry's wait container, or invented (a default that knows nothing of the workload).
4. With --checkov: checkov failures per workload (pod template) under (1) at most 3 on
   average, not counting CKV_K8S_13 (memory limits) on workloads whose limits were left
   open and warned about (H012); both figures and the checks that remain are listed.

Stdlib only. Uses KUBEFERRY_BIN (default target/release/kubeferry) and SHARED_DIR (default
../shared), like convert-corpus.sh, whose case handling this mirrors.
"""

import collections
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("SHARED_DIR", os.path.join(HERE, "..", "shared"))
BIN = os.environ.get("KUBEFERRY_BIN", os.path.join(HERE, "target", "release", "kubeferry"))
VALIDATE = os.path.join(SHARED, "tools", "k8s-check", "validate.py")
ROOT = os.path.join(SHARED, "corpus", "realworld")
NAMESPACE = "kubeferry-check"
CHECKOV_TARGET = 3.0
LONG_RUNNING = {"Deployment", "StatefulSet", "DaemonSet"}
HEADER = re.compile(r"^(error|warning)\[([A-Z]\d+)\]: (.*)$")
# The location line under a diagnostic: `  --> compose.yaml:5:5 (services.svc.key...)`.
ARROW = re.compile(r"^\s+--> .*\(services\.([^.:)]+)\.([a-z_]+)[^)]*\)")
# The one-line form: `error[H001]: compose.yaml:5:5: services.svc.key: message`.
INLINE = re.compile(r"^[^ ]*: services\.([^.:]+)\.([a-z_]+): (.*)$")


def diagnostics(stderr, code):
    """(service, Compose key, message) of each diagnostic with `code`, in either rendering."""
    lines = stderr.splitlines()
    out = []
    for i, line in enumerate(lines):
        h = HEADER.match(line)
        if not h or h.group(2) != code:
            continue
        m = INLINE.match(h.group(3))
        if m:
            out.append((m.group(1), m.group(2), m.group(3)))
            continue
        a = ARROW.match(lines[i + 1]) if i + 1 < len(lines) else None
        out.append((a.group(1), a.group(2), h.group(3)) if a else None)
    return out


def cases():
    with open(os.path.join(ROOT, "cases.tsv")) as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if cols[0] == "case" or len(cols) < 7 or cols[6] != "ok":
                continue
            cid, d, files, envf, profs, vars_ = cols[:6]
            args = []
            for p in files.split(","):
                args += ["-f", p]
            if envf != "-":
                for p in envf.split(","):
                    args += ["--env-file", p]
            if profs != "-":
                for p in profs.split(","):
                    args += ["--profile", p]
            env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/")}
            env["PWD"] = os.path.join(ROOT, d)
            if vars_ != "-":
                for kv in vars_.split():
                    k, _, v = kv.partition("=")
                    env[k] = v
            yield cid, os.path.join(ROOT, d), args, env


def run(cwd, env, argv):
    p = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    return p.returncode, p.stderr, p.stdout


def convert(out, mode_flags):
    """Convert every case into out/<case>/ as JSON, its report into out.reports/<case>.json."""
    results = {}
    os.makedirs(out + ".reports", exist_ok=True)
    for cid, cwd, args, env in cases():
        dest = os.path.join(out, cid)
        report = os.path.join(out + ".reports", cid + ".json")
        rc, err, _ = run(cwd, env, [BIN, "convert", *args, "--format", "json", "-o", dest,
                                    "--report", report, *mode_flags])
        results[cid] = (rc, err, report)
    return results


def healthchecked(cwd, env, args):
    """Kubernetes names of the services with an enabled healthcheck (from `config`)."""
    rc, _, out = run(cwd, env, [BIN, "config", *args, "--format", "json"])
    if rc != 0:
        return set()
    names = set()
    for name, svc in json.loads(out).get("services", {}).items():
        hc = svc.get("healthcheck") or {}
        test = hc.get("test") or []
        if hc and not hc.get("disable") and test[:1] != ["NONE"]:
            names.add(re.sub(r"[_. ]+", "-", name.lower()).strip("-"))
    return names


def validate(path, version, checkov):
    argv = [VALIDATE, path, "--k8s-version", version, "--scope", "dir", "--json"]
    if not checkov:
        argv.append("--no-checkov")
    p = subprocess.run(argv, capture_output=True, text=True)
    try:
        return json.loads(p.stdout)
    except json.JSONDecodeError:
        print(f"harden-check: the validator failed: {p.stderr[-500:]}", file=sys.stderr)
        sys.exit(2)


def objects_of(out):
    for case in sorted(os.listdir(out)):
        d = os.path.join(out, case)
        if not os.path.isdir(d):
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith(".json"):
                with open(os.path.join(d, f)) as fh:
                    yield case, json.load(fh)


def pod_spec(o):
    spec = o.get("spec") or {}
    if o.get("kind") == "CronJob":
        spec = ((spec.get("jobTemplate") or {}).get("spec")) or {}
    return (spec.get("template") or {}).get("spec")


OPEN_LIMIT = re.compile(r"^no memory limit on `([^`]+)`")
LIMIT_ENTRY = re.compile(r"memory limit \S+( \(([^)]*))?")


def memory_entries(reports):
    """{(case, workload, container): resources-rule entry that set a memory limit} and the
    set of (case, workload, container) left without one, from the reports."""
    limited, open_ = {}, set()
    for case, (_, _, report) in reports.items():
        if not os.path.exists(report):
            continue
        with open(report) as fh:
            for w in json.load(fh)["workloads"]:
                for e in w["added"]:
                    m = re.search(r" on `([^`]+)`", e["what"])
                    if e["rule"] == "resources" and e["what"].startswith("memory limit") and m:
                        limited[(case, w["name"], m.group(1))] = e["what"]
                for e in w["not_hardened"]:
                    m = OPEN_LIMIT.match(e["what"])
                    if e["rule"] == "resources" and m:
                        open_.add((case, w["name"], m.group(1)))
    return limited, open_


def limit_source(entry):
    """Where a memory limit the resources rule set comes from, by its report entry."""
    m = LIMIT_ENTRY.search(entry)
    why = (m.group(2) or "") if m else ""
    for key, source in (("from the JVM heap", "JVM heap"), ("the Compose limit", "Compose + /dev/shm"),
                        ("dependency wait", "kubeferry wait container"),
                        ("the Compose reservation", "Compose reservation"),
                        ("from --default-memory-limit", "invented (--default-memory-limit)")):
        if why.startswith(key) or key in why:
            return source
    return "invented (default)"


def probes_and_resources(out, hc_by_case, reports):
    """(containers needing probes without them, containers without requests/limit, counts)."""
    no_probe, no_res = [], []
    counted = collections.Counter()
    limited, open_ = memory_entries(reports)
    for case, o in objects_of(out):
        spec = pod_spec(o)
        if spec is None:
            continue
        kind, name = o["kind"], o["metadata"]["name"]
        for c in spec.get("containers", []):
            counted["containers"] += 1
            tcp = [p for p in c.get("ports") or [] if p.get("protocol", "TCP") == "TCP"]
            if kind in LONG_RUNNING and c.get("ports") and not tcp and c["name"] not in hc_by_case.get(case, ()):
                # Kubernetes has no UDP probe; the report names these containers.
                counted["udp_only"] += 1
                print(f"  UDP ports only, no probe possible (reported): {case}: {kind}/{name} container {c['name']}")
                continue
            if kind in LONG_RUNNING and (tcp or c["name"] in hc_by_case.get(case, ())):
                counted["probe_candidates"] += 1
                if not (c.get("livenessProbe") and c.get("readinessProbe")):
                    no_probe.append(f"{case}: {kind}/{name} container {c['name']}")
        for c in spec.get("containers", []) + spec.get("initContainers", []):
            r = c.get("resources") or {}
            req, lim = r.get("requests") or {}, r.get("limits") or {}
            key = (case, name, c["name"])
            counted["all_containers"] += 1
            if "memory" in lim:
                counted["limit: " + (limit_source(limited[key]) if key in limited else "Compose")] += 1
            elif key in open_:
                counted["limit: left open (H012)"] += 1
            if not ("cpu" in req and "memory" in req and ("memory" in lim or key in open_)):
                no_res.append(f"{case}: {kind}/{name} container {c['name']}")
    return no_probe, no_res, counted


def main():
    checkov = "--checkov" in sys.argv
    keep = sys.argv[sys.argv.index("--keep") + 1] if "--keep" in sys.argv else None
    for need in (BIN, VALIDATE):
        if not os.path.exists(need):
            print(f"harden-check: {need} is missing", file=sys.stderr)
            return 2
    work = keep or tempfile.mkdtemp(prefix="harden-check-")
    misses = []
    hc_by_case = {cid: healthchecked(cwd, env, args) for cid, cwd, args, env in cases()}

    # 1. restricted
    rdir = os.path.join(work, "restricted")
    os.makedirs(rdir, exist_ok=True)
    res = convert(rdir, ["--harden", "restricted", "--namespace", NAMESPACE])
    refused = collections.OrderedDict()
    for cid, (rc, err, _) in res.items():
        if rc == 0:
            continue
        errors = [l for l in err.splitlines() if l.startswith("error")]
        demands = diagnostics(err, "H001")
        if errors and len(demands) == len(errors) and all(demands):
            refused[cid] = sorted({(d[0], d[1]) for d in demands})
        else:
            misses.append(f"restricted: case {cid} failed: {errors[:2] or err[-300:]}")
    converted = [c for c, (rc, _, _) in res.items() if rc == 0]
    totals = {}
    for v in ("1.30", "1.37"):
        rep = validate(rdir, v, checkov and v == "1.37")
        t = rep["totals"]
        totals[v] = rep
        print(f"restricted, Kubernetes {v}: {len(converted)} cases, {t['objects']} objects, "
              f"{t['pod_templates']} pod templates: {t['pss_restricted_violations']} restricted "
              f"violations, {t['schema_errors']} schema errors, {t['semantic_errors']} semantic errors")
        for k in ("pss_restricted_violations", "schema_errors", "semantic_errors"):
            if t[k]:
                misses.append(f"restricted {v}: {k} = {t[k]}")
    services = sorted({(c, s, k) for c, l in refused.items() for s, k in l})
    by_service = collections.OrderedDict()
    for c, s, k in services:
        by_service.setdefault((c, s), []).append(k)
    print(f"restricted: {len(refused)} cases refused, {len(by_service)} services demanding "
          f"privileges (error H001):")
    for (c, s), keys in by_service.items():
        print(f"  {c}: {s} ({', '.join(keys)})")

    # 2. baseline (the default level)
    bdir = os.path.join(work, "baseline")
    os.makedirs(bdir, exist_ok=True)
    bres = convert(bdir, [])
    for cid, (rc, err, _) in bres.items():
        if rc != 0:
            misses.append(f"baseline: case {cid} failed: {err[-300:]}")
    for v in ("1.30", "1.37"):
        rep = validate(bdir, v, False)
        t = rep["totals"]
        print(f"baseline, Kubernetes {v}: {t['objects']} objects: {t['pss_baseline_violations']} "
              f"baseline violations, {t['schema_errors']} schema errors, {t['semantic_errors']} semantic errors")
        for k in ("schema_errors", "semantic_errors"):
            if t[k]:
                misses.append(f"baseline {v}: {k} = {t[k]}")
        if v != "1.37":
            continue
        for o in rep["objects"]:
            if not o["pss_baseline_violations"]:
                continue
            case = os.path.relpath(o["file"], bdir).split(os.sep)[0]
            with open(bres[case][2]) as fh:
                svc = {w["name"]: w["service"] for w in json.load(fh)["workloads"]}.get(o["name"])
            warned = [d[1] for d in diagnostics(bres[case][1], "H002") if d and d[0] == svc]
            rules = ", ".join(x["rule"] for x in o["pss_baseline_violations"])
            if warned:
                print(f"  explicit in Compose, warned (H002 on {', '.join(sorted(set(warned)))}): "
                      f"{case}: {o['kind']}/{o['name']}: {rules}")
            else:
                misses.append(f"baseline: {case}: {o['kind']}/{o['name']} violates {rules} without a warning")

    # 3. probes and resources
    open_workloads = set()
    for label, d, reports in (("restricted", rdir, res), ("baseline", bdir, bres)):
        no_probe, no_res, n = probes_and_resources(d, hc_by_case, reports)
        print(f"{label}: {n['probe_candidates']} long-running containers with a port or a "
              f"healthcheck, {len(no_probe)} without liveness and readiness probes; "
              f"{len(no_res)} containers without cpu/memory requests and a memory limit "
              f"(or a limit left open and reported)")
        print(f"{label}: memory limits of {n['all_containers']} containers (init containers "
              f"included), by source:")
        for k in sorted(k for k in n if k.startswith("limit: ")):
            print(f"  {k[len('limit: '):]}: {n[k]}")
        if label == "restricted":
            open_workloads = {(c, w) for c, w, _ in memory_entries(reports)[1]}
        misses += [f"{label}: no probes: {x}" for x in no_probe[:20]]
        misses += [f"{label}: no requests/limit: {x}" for x in no_res[:20]]

    # 4. checkov
    if checkov:
        rep = totals["1.37"]
        t = rep["totals"]
        failed = t.get("checkov_failed")
        if failed is None:
            misses.append("checkov did not run")
        else:
            avg = failed / max(t["pod_templates"], 1)
            print(f"checkov (restricted, --namespace): {failed} failures over {t['pod_templates']} "
                  f"workloads = {avg:.2f} per workload (target <= {CHECKOV_TARGET}; Kompose: 20)")
            ids = collections.Counter()
            warned = 0
            for o in rep["objects"]:
                case = os.path.relpath(o["file"], rdir).split(os.sep)[0]
                for cid in (o.get("checkov") or {}).get("failed_checks", []):
                    ids[cid] += 1
                    warned += cid == "CKV_K8S_13" and (case, o["name"]) in open_workloads
            for cid, n in ids.most_common():
                print(f"  {cid}: {n} workloads ({n / max(t['pod_templates'], 1):.2f} per workload)")
            unwarned = (failed - warned) / max(t["pod_templates"], 1)
            print(f"checkov without CKV_K8S_13 on the {warned} workloads whose memory limit was "
                  f"left open and warned about (H012): {unwarned:.2f} per workload")
            if unwarned > CHECKOV_TARGET:
                misses.append(f"checkov: {unwarned:.2f} failures per workload > {CHECKOV_TARGET}")

    if not keep:
        subprocess.run(["rm", "-rf", work])
    for m in misses:
        print(f"MISS {m}")
    print(f"harden-check: {'FAILED' if misses else 'ok'} ({len(misses)} misses)")
    return 1 if misses else 0


if __name__ == "__main__":
    sys.exit(main())
