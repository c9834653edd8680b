#!/usr/bin/env python3
"""Play kubeferry's output in a container runtime: ../shared/tools/runtime-check over three sets.

    scripts/runtime-corpus.py [--set examples,fixtures,corpus] [--level default,restricted]
                              [--subset ci] [--only NAME...] [--json FILE] [--keep-dir DIR]

Sets:
  examples   fixtures/examples/*/compose.yaml
  fixtures   fixtures/convert/*/ and fixtures/runtime/*/ (their `args`, less any --harden)
  corpus     every `ok` case of shared/corpus/realworld/cases.tsv
  staged     stage 2 (`--stage stateful`) of fixtures/staged/* and of every corpus case

Each project is converted at each level (`default` is `kubeferry convert` with no --harden,
`restricted` adds `--harden restricted`). Of the output, the workloads whose images all have a
stand-in (runtime-check's images/map.tsv) are played and judged, with every Service,
ConfigMap, Secret and PersistentVolumeClaim. A workload whose images have no stand-in is
replaced by a placeholder (busybox with its labels, answering HTTP on its ports) so
that the names and ports others dial resolve and answer, as its Service would in a cluster;
placeholders are not judged. A workload that would not run under Docker Compose either (a
postgres without a password) gets a placeholder too; each is reported.
A judged pod that fails while its service bind-mounts files the corpus does not hold (it
keeps Compose files, not always what they mount; Docker would mount an empty folder there
too), or mounts an external volume (made and filled by the user before `docker compose up`;
Compose refuses to start without it), is counted apart, with what it lacks. A project with
nothing to judge is not run. A pod that asks for the unprivileged-port sysctl is played with
--unprivileged-ports (podman ignores pod sysctls).

`--subset ci` is the fixed list that .ci/run plays (CI_SUBSET below, about 20 minutes).
Exit status 0 when every played pod passed at every level and no conversion failed for a
reason other than a privilege the Compose file asks for; 1 otherwise; 2 on usage errors.

Environment: KUBEFERRY_BIN (default target/release/kubeferry), SHARED_DIR (default ../shared).
"""

import argparse
import fnmatch
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("SHARED_DIR", ROOT.parent / "shared")).resolve()
BIN = os.environ.get("KUBEFERRY_BIN", str(ROOT / "target/release/kubeferry"))
RC = SHARED / "tools/runtime-check"

# The projects .ci/run plays: the example, the fixtures written for this check (one per
# stand-in image and a three-service stack) and corpus cases whose databases and caches have
# stand-ins. Chosen to cover every stand-in image in about 20 minutes at both levels.
CI_SUBSET = [
    "examples/agent-stack",
    "fixtures/runtime/*",
    "fixtures/convert/volumes-folder-configmap",
    "fixtures/convert/workload-statefulset-label",
    "corpus/langfuse",
    "corpus/nextcloud",
    "corpus/dify-all-profiles",
    "corpus/r2r-full",
    "staged/fixtures/bind-data",
    "staged/corpus/mastodon",
    "staged/corpus/mattermost-without-nginx",
]

# The official postgres image refuses to initialise without one of these (its entrypoint's
# contract): such a service does not run under Docker Compose either.
POSTGRES_AUTH = {"POSTGRES_PASSWORD", "POSTGRES_PASSWORD_FILE", "POSTGRES_HOST_AUTH_METHOD"}

# Fixtures written to test a conversion, whose service would not run under Docker Compose
# either: (project pattern, workload) -> why.
FAIL_UNDER_COMPOSE = {
    ("fixtures/convert/volumes-bind*", "Deployment/web"): "its nginx.conf is a one-line stub with no events section, which nginx refuses",
}

WORKLOAD_KINDS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Pod", "Job"}
KEEP_KINDS = {"Service", "ConfigMap", "Secret", "PersistentVolumeClaim"}
NC_WAIT = re.compile(r"nc -z(?: -w \d+)? (\S+) (\d+)")


def standin_rules():
    rules = []
    for line in (RC / "images/map.tsv").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        pattern, standin = line.split("\t")[:2]
        rules.append((pattern.strip(), standin.strip()))
    return rules


def repository(image):
    """The normalised repository of an image reference, as map.tsv matches it."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        ref = ref[: len(ref) - len(last)] + last.split(":", 1)[0]
    first = ref.split("/", 1)[0]
    if "/" not in ref or not ("." in first or ":" in first or first == "localhost"):
        ref = "docker.io/" + ref
    if ref.count("/") == 1 and ref.startswith("docker.io/"):
        ref = "docker.io/library/" + ref.split("/", 1)[1]
    return ref


def pod_spec(obj):
    spec = obj.get("spec") or {}
    if obj["kind"] == "Pod":
        return spec
    if obj["kind"] == "Job":
        return (spec.get("template") or {}).get("spec") or {}
    return ((spec.get("template") or {}).get("spec")) or {}


def pod_labels(obj):
    if obj["kind"] == "Pod":
        return (obj.get("metadata") or {}).get("labels") or {}
    return (((obj.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {}


def env_names(container, objects):
    """The variable names a container sees with a value: env (empty values do not count: an
    unset variable interpolated to nothing), and the keys of the envFrom sources."""
    names = {e.get("name") for e in container.get("env") or [] if e.get("value") or e.get("valueFrom")}
    by_name = {(o.get("kind"), o["metadata"]["name"]): o for o in objects if o.get("kind") in ("ConfigMap", "Secret")}
    for src in container.get("envFrom") or []:
        for kind, key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
            ref = (src.get(key) or {}).get("name")
            o = by_name.get((kind, ref)) or {}
            names |= set((o.get("data") or {}).keys()) | set((o.get("stringData") or {}).keys())
    return names


def fails_under_compose(spec, objects, rules):
    """Why a pod would not run under Docker Compose either, or None."""
    for c in spec.get("containers") or []:
        standin = next((st for p, st in rules if fnmatch.fnmatchcase(repository(c.get("image", "")), p)), None)
        if standin == "postgres" and not (env_names(c, objects) & POSTGRES_AUTH):
            return "postgres without POSTGRES_PASSWORD (or _FILE, or POSTGRES_HOST_AUTH_METHOD): the image's entrypoint refuses to initialise"
    return None


def placeholder(w, objects):
    """A stand-in for a workload whose images have none: a busybox pod with the workload's
    labels that answers HTTP on its ports, so that its Service name resolves and the
    played pods that dial it or wait for it start (its own verdict is not counted)."""
    spec = pod_spec(w)
    ports = set()
    for c in spec.get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("protocol", "TCP") == "TCP":
                ports.add(int(p["containerPort"]))
    labels = pod_labels(w)
    for o in objects:
        sel = ((o.get("spec") or {}).get("selector") or {}) if o.get("kind") == "Service" else {}
        if sel and all(labels.get(k) == v for k, v in sel.items()):
            for sp in o["spec"].get("ports") or []:
                t = sp.get("targetPort", sp.get("port"))
                if isinstance(t, int) and sp.get("protocol", "TCP") == "TCP":
                    ports.add(t)
    # busybox's httpd answers a TCP wait and an HTTP request (a proxy in front of it).
    listen = "mkdir -p /tmp/www && echo ok > /tmp/www/index.html && " + " ".join(
        f"busybox httpd -p {p} -h /tmp/www &&" for p in sorted(ports)
    )
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": w["metadata"]["name"], "labels": labels},
        "spec": {
            "containers": [
                {
                    "name": "placeholder",
                    "image": "busybox:1.36",
                    "command": ["/bin/sh", "-c", f"{listen} while true; do sleep 3600; done"],
                }
            ]
        },
    }


def playable(project, objects, rules):
    """The workloads to play, the placeholders that stand for the others (by workload), and
    why each workload is not judged."""
    workloads = [o for o in objects if o.get("kind") in WORKLOAD_KINDS]
    services = {o["metadata"]["name"]: o for o in objects if o.get("kind") == "Service"}
    out = {}
    placeholders = {}
    reasons = {}
    for w in workloads:
        name = f"{w['kind']}/{w['metadata']['name']}"
        spec = pod_spec(w)
        images = [c.get("image", "") for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])]
        missing = [i for i in images if not any(fnmatch.fnmatchcase(repository(i), p) for p, _ in rules)]
        broken = fails_under_compose(spec, objects, rules) or next(
            (why for (p, wl), why in FAIL_UNDER_COMPOSE.items() if wl == name and fnmatch.fnmatchcase(project, p)),
            None,
        )
        if broken:
            reasons[name] = f"fails under Docker Compose too: {broken} (a placeholder answers for it)"
            placeholders[name] = placeholder(w, objects)
        elif missing:
            reasons[name] = f"no stand-in for {', '.join(sorted(set(missing)))} (a placeholder answers for it)"
            placeholders[name] = placeholder(w, objects)
        else:
            out[name] = w
    # A workload waiting on a Service that nothing played backs would wait forever here.
    changed = True
    while changed:
        changed = False
        for name, w in list(out.items()):
            spec = pod_spec(w)
            for init in spec.get("initContainers") or []:
                text = " ".join(init.get("command") or []) + " " + " ".join(init.get("args") or [])
                for host, _port in NC_WAIT.findall(text):
                    svc = services.get(host.split(".")[0])
                    sel = ((svc or {}).get("spec") or {}).get("selector") or {}
                    pods = list(out.values()) + list(placeholders.values())
                    backed = svc is not None and any(
                        sel and all(pod_labels(o).get(k) == v for k, v in sel.items()) for o in pods
                    )
                    if not backed and name in out:
                        reasons[name] = f"waits for `{host}`, which is not played here"
                        del out[name]
                        changed = True
    return out, placeholders, reasons


def absent_inputs(cwd, args, env):
    """Service (as its Kubernetes name) -> what it mounts that this checkout cannot give it:
    bind-mount sources missing from the corpus, and external volumes. The corpus holds Compose
    files, not always the files they mount (Docker mounts an empty folder for a missing
    source), and an external volume is made and filled by the user before `docker compose up`
    (Compose refuses to start without it; kubeferry expects a claim of that name). A pod that
    fails for either would fail under Compose too on this checkout."""
    conf_args = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        if a == "--stage":
            skip = True
            continue
        conf_args.append(a)
    full_env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"), "PWD": str(cwd), **env}
    p = subprocess.run([BIN, "config", *conf_args, "--format", "json", "-q"], cwd=cwd, env=full_env, capture_output=True, text=True)
    if p.returncode != 0:
        return {}
    project = json.loads(p.stdout)
    external = {k for k, v in (project.get("volumes") or {}).items() if (v or {}).get("external")}
    out = {}
    for name, svc in (project.get("services") or {}).items():
        gone = [
            f"bind source {v['source']}"
            for v in svc.get("volumes") or []
            if v.get("type") == "bind" and v.get("source") and not os.path.exists(v["source"])
        ] + [
            f"external volume `{v['source']}`"
            for v in svc.get("volumes") or []
            if v.get("type") == "volume" and v.get("source") in external
        ]
        if gone:
            out[re.sub(r"[^a-z0-9-]", "-", name.lower())] = gone
    return out


def projects(sets):
    """(name, cwd, convert args, env) of every project of the chosen sets."""
    result = []
    if "examples" in sets:
        for c in sorted((ROOT / "fixtures/examples").glob("*/compose.yaml")):
            result.append((f"examples/{c.parent.name}", c.parent, ["-f", "compose.yaml"], {}))
    if "fixtures" in sets:
        for group in ("convert", "runtime"):
            for d in sorted((ROOT / "fixtures" / group).glob("*/")):
                if not (d / "compose.yaml").exists():
                    continue
                args = []
                if (d / "args").exists():
                    for line in (d / "args").read_text().splitlines():
                        line = line.strip()
                        if line and not line.startswith("#"):
                            args += line.split(" ", 1)
                cleaned, skip = [], False
                for a in args:
                    if skip:
                        skip = False
                        continue
                    if a == "--harden":
                        skip = True
                        continue
                    cleaned.append(a)
                if "-f" not in cleaned:
                    cleaned = ["-f", "compose.yaml"] + cleaned
                result.append((f"fixtures/{group}/{d.name}", d, cleaned, {}))
    if "staged" in sets:
        # Stage 2 of a staged migration (`--stage stateful`): the stateful services on their
        # claims, as the plan's command writes them.
        for d in sorted((ROOT / "fixtures/staged").glob("*/")):
            # No -f: the Compose files found as Docker Compose finds them (override included).
            result.append((f"staged/fixtures/{d.name}", d, ["--stage", "stateful"], {}))
        for name, cwd, args, env in projects({"corpus"}):
            result.append((f"staged/{name}", cwd, args + ["--stage", "stateful"], env))
    if "corpus" in sets:
        root = SHARED / "corpus/realworld"
        for line in (root / "cases.tsv").read_text().splitlines()[1:]:
            cols = line.split("\t")
            if len(cols) < 7 or cols[6] != "ok":
                continue
            case, d, files, envf, profs, vars_ = cols[:6]
            args = []
            for f in files.split(","):
                args += ["-f", f]
            if envf != "-":
                for f in envf.split(","):
                    args += ["--env-file", f]
            if profs != "-":
                for p in profs.split(","):
                    args += ["--profile", p]
            env = dict(v.split("=", 1) for v in vars_.split()) if vars_ != "-" else {}
            result.append((f"corpus/{case}", root / d, args, env))
    return result


def convert(cwd, args, env, level):
    extra = ["--harden", "restricted"] if level == "restricted" else []
    full_env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"), "PWD": str(cwd), **env}
    p = subprocess.run([BIN, "convert", *args, "-q", *extra], cwd=cwd, env=full_env, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def unprivileged_ports(objects):
    """Whether a pod asks for `net.ipv4.ip_unprivileged_port_start`: podman 4.3 ignores pod
    sysctls, so runtime-check's --unprivileged-ports plays what the kubelet would apply."""
    for o in objects:
        if o.get("kind") in WORKLOAD_KINDS:
            sysctls = (pod_spec(o).get("securityContext") or {}).get("sysctls") or []
            if any(s.get("name") == "net.ipv4.ip_unprivileged_port_start" for s in sysctls):
                return True
    return False


def play(name, objects, tmp, wait):
    path = tmp / (re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".yaml")
    path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
    report = tmp / (path.stem + ".json")
    extra = ["--unprivileged-ports"] if unprivileged_ports(objects) else []
    p = subprocess.run(
        [str(RC / "runtime-check"), str(path), "--json", str(report), "--wait", str(wait), "--settle", "5", *extra],
        capture_output=True,
        text=True,
    )
    if not report.exists():
        return None, p.stdout + p.stderr
    return json.loads(report.read_text()), p.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", default="examples,fixtures,corpus,staged")
    ap.add_argument("--level", default="default,restricted")
    ap.add_argument("--subset", choices=["ci"])
    ap.add_argument("--only", nargs="*", help="fnmatch patterns of project names")
    ap.add_argument("--wait", type=int, default=90)
    ap.add_argument("--json", help="write every result here")
    ap.add_argument("--dry-run", action="store_true", help="list what would be played, play nothing")
    a = ap.parse_args()
    sets = set(a.set.split(","))
    levels = a.level.split(",")
    if not (RC / "runtime-check").exists():
        print(f"runtime-corpus: {RC} not found", file=sys.stderr)
        return 2
    rules = standin_rules()
    chosen = projects(sets)
    patterns = a.only or (CI_SUBSET if a.subset == "ci" else None)
    if patterns:
        chosen = [p for p in chosen if any(fnmatch.fnmatchcase(p[0], pat) for pat in patterns)]
    results = []
    played = {}
    tmp = Path(tempfile.mkdtemp(prefix="runtime-corpus-"))
    started = time.monotonic()
    for name, cwd, args, env in chosen:
        for level in levels:
            entry = {"project": name, "level": level, "pods": [], "left_out": {}}
            rc, out, err = convert(cwd, args, env, level)
            if rc != 0:
                # Fixtures that test a refusal are expected to fail; examples and the corpus are not.
                entry["conversion"] = (
                    "refused" if level == "restricted" else "error fixture" if name.startswith("fixtures/") else "failed"
                )
                lines = err.strip().splitlines()
                errors = [i for i, l in enumerate(lines) if l.startswith("error")]
                entry["error"] = lines[errors[0] : errors[0] + 2] if errors else lines[:3]
                results.append(entry)
                print(f"{level:10} {name}: conversion {entry['conversion']}: {' '.join(entry['error'])[:200]}", flush=True)
                continue
            objects = [o for o in yaml.safe_load_all(out) if o]
            play_these, placeholders, left_out = playable(name, objects, rules)
            entry["left_out"] = left_out
            if not play_these:
                entry["conversion"] = "ok"
                results.append(entry)
                continue
            if a.dry_run:
                print(f"{level:10} {name}: would play {', '.join(play_these)}", flush=True)
                continue
            keep = (
                [o for o in objects if o.get("kind") in KEEP_KINDS]
                + list(play_these.values())
                + list(placeholders.values())
            )
            t0 = time.monotonic()
            # Cases that share a folder often play the same objects: play those once.
            key = hashlib.sha256(yaml.safe_dump_all(keep, sort_keys=True).encode()).hexdigest()
            if key in played:
                report, text = played[key]
            else:
                report, text = played[key] = play(f"{name}-{level}", keep, tmp, a.wait)
            entry["conversion"] = "ok"
            entry["seconds"] = round(time.monotonic() - t0, 1)
            if report is None:
                entry["error"] = text.strip().splitlines()[-3:]
                print(f"{level:10} {name}: runtime-check failed: {entry['error']}", flush=True)
                results.append(entry)
                continue
            stood_in = {f"Pod/{p['metadata']['name']}" for p in placeholders.values()}
            missing = absent_inputs(cwd, args, env) if any(p["verdict"] != "pass" for p in report.get("pods", [])) else {}
            for pod in report.get("pods", []):
                if pod["verdict"] == "skipped" or pod["workload"] in stood_in:
                    continue
                failed = [c for c in pod["containers"] if not c.get("ok") and c.get("state") != "not run"]
                cause = "; ".join(
                    f"{c['name']}: {c.get('state')} {c.get('reason', '')} {' | '.join(c.get('logs', [])[-2:])}".strip()
                    for c in failed
                )
                verdict = pod["verdict"]
                gone = missing.get(pod["workload"].split("/", 1)[1]) if verdict != "pass" else None
                if gone:
                    # Counted apart: the same pod fails under Compose on this checkout.
                    verdict = "fail (corpus lacks mounted files)"
                    cause = f"mounts what this checkout lacks: {', '.join(gone)}; {cause}"
                entry["pods"].append({"workload": pod["workload"], "verdict": verdict, "cause": cause[:400]})
            ok = sum(1 for p in entry["pods"] if p["verdict"] == "pass")
            print(f"{level:10} {name}: {ok}/{len(entry['pods'])} pods passed ({entry['seconds']} s)", flush=True)
            for p in entry["pods"]:
                if p["verdict"] != "pass":
                    what = "FAIL" if p["verdict"] == "fail" else p["verdict"].upper()
                    print(f"           {what} {p['workload']}: {p['cause']}", flush=True)
            results.append(entry)
    status = 0
    print()
    for level in levels:
        rs = [r for r in results if r["level"] == level]
        pods = [p for r in rs for p in r["pods"]]
        passed = sum(1 for p in pods if p["verdict"] == "pass")
        artifacts = sum(1 for p in pods if p["verdict"].startswith("fail (corpus"))
        played = sum(1 for r in rs if r["pods"])
        refused = [r["project"] for r in rs if r.get("conversion") == "refused"]
        left = sum(len(r["left_out"]) for r in rs)
        print(
            f"runtime-corpus: {level}: {len(rs)} projects, {played} played, {len(pods)} pods, "
            f"{passed} passed, {len(pods) - passed - artifacts} failed, {artifacts} failed on files the corpus lacks; "
            f"{len(refused)} conversions refused; "
            f"{left} workloads not judged (no stand-in: a placeholder answers for it; or it fails under Compose too)"
        )
        if refused:
            print(f"runtime-corpus: {level}: refused: {', '.join(refused)}")
        if passed + artifacts != len(pods) or any(r.get("conversion") == "failed" for r in rs):
            status = 1
    print(f"runtime-corpus: {round(time.monotonic() - started)} s")
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))
    return status


if __name__ == "__main__":
    sys.exit(main())
