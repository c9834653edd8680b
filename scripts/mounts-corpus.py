#!/usr/bin/env python3
"""Mount figures over the realworld corpus (issue 15, mounts), for any kubeferry binary:

- bind-mounted folders with content (a file that is neither empty nor a Git placeholder),
  by what they become in the pod: configMap, persistentVolumeClaim, hostPath, emptyDir
  (warned: a warning names the folder and its size; silent: nothing says the content is lost),
  or not found;
- pod specs with two volumes of one name, and mounts of a volume the pod does not have;
- ConfigMaps and Secrets over 1 MiB of data (the API server's limit) and over 256 KiB as JSON
  (`kubectl apply` copies the object into an annotation capped at 256 KiB).

    KUBEFERRY_BIN=target/release/kubeferry scripts/mounts-corpus.py [--shared-dir ../shared] [-v]
    scripts/mounts-corpus.py --compose other/project/compose.yaml ...   # whole checkouts instead

The realworld corpus holds the Compose files only (the folders they mount are not there), so
`--compose` runs the same figures over whole project checkouts.

Exit status 1 when a silent emptyDir, a duplicate volume name, a dangling mount or an object
over 1 MiB is found.
"""
import argparse
import base64
import collections
import json
import os
import re
import subprocess
import sys

PLACEHOLDERS = {".gitkeep", ".keep", ".gitignore", ".placeholder"}


def has_content(path):
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for f in files:
            p = os.path.join(root, f)
            if f in PLACEHOLDERS:
                continue
            try:
                if os.path.getsize(p) > 0:
                    return True
            except OSError:
                continue
    return False


def folder_size(path):
    n = 0
    for root, _, files in os.walk(path):
        for f in files:
            try:
                n += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return n


def pod_specs(items):
    for o in items:
        spec = o.get("spec") or {}
        kind = o.get("kind")
        if kind == "CronJob":
            spec = spec.get("jobTemplate", {}).get("spec", {})
        tmpl = spec.get("template")
        if kind in ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob") and tmpl:
            yield o, tmpl.get("spec") or {}
        elif kind == "Pod":
            yield o, spec


def data_size(o):
    n = 0
    for k, v in (o.get("data") or {}).items():
        n += len(k) + (len(base64.b64decode(v)) if o["kind"] == "Secret" else len(v.encode()))
    for k, v in (o.get("binaryData") or {}).items():
        n += len(k) + len(base64.b64decode(v))
    for k, v in (o.get("stringData") or {}).items():
        n += len(k) + len(v.encode())
    return n


def run(binary, cmd, case_dir, files, envf, profs, vars_):
    args = [binary, cmd]
    for f in files:
        args += ["-f", f]
    for e in envf:
        args += ["--env-file", e]
    for p in profs:
        args += ["--profile", p]
    args += ["--format", "json"]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/"), "PWD": case_dir}
    env.update(vars_)
    return subprocess.run(args, cwd=case_dir, env=env, capture_output=True, text=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared-dir", default=os.environ.get("SHARED_DIR", os.path.join(os.path.dirname(__file__), "../../shared")))
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--compose", nargs="+", help="Compose files of whole checkouts, instead of the corpus")
    a = ap.parse_args()
    binary = os.path.abspath(os.environ.get("KUBEFERRY_BIN", "target/release/kubeferry"))
    root = os.path.join(a.shared_dir, "corpus/realworld")
    kinds = collections.Counter()
    projects = collections.defaultdict(set)
    dup = dangling = over_mib = over_apply = cases = 0
    detail = []
    lst = lambda s: [] if s == "-" else s.split(",")
    if a.compose:
        rows = [[os.path.relpath(c), os.path.dirname(os.path.abspath(c)), os.path.basename(c), "-", "-", "-", "ok"] for c in a.compose]
    else:
        rows = [line.split("\t") for line in open(os.path.join(root, "cases.tsv")).read().splitlines()[1:]]
    for f in rows:
        if len(f) < 7 or f[6] != "ok":
            continue
        cid, d = f[0], os.path.join(root, f[1])
        vars_ = dict(kv.split("=", 1) for kv in f[5].split()) if f[5] != "-" else {}
        cfg = run(binary, "config", d, lst(f[2]), lst(f[3]), lst(f[4]), vars_)
        conv = run(binary, "convert", d, lst(f[2]), lst(f[3]), lst(f[4]), vars_)
        if cfg.returncode != 0 or conv.returncode != 0:
            print(f"{cid}: conversion failed", file=sys.stderr)
            continue
        cases += 1
        project = json.loads(cfg.stdout)
        items = json.loads(conv.stdout).get("items", [])
        warnings = conv.stderr
        for o in items:
            if o.get("kind") in ("ConfigMap", "Secret"):
                if data_size(o) > 1024 * 1024:
                    over_mib += 1
                    detail.append(f"{cid}: {o['kind']} {o['metadata']['name']} over 1 MiB")
                if len(json.dumps(o, separators=(",", ":"))) > 256 * 1024:
                    over_apply += 1
                    detail.append(f"{cid}: {o['kind']} {o['metadata']['name']} over 256 KiB as JSON")
        containers = {}
        for o, spec in pod_specs(items):
            names = [v["name"] for v in spec.get("volumes") or []]
            vols = {v["name"]: v for v in spec.get("volumes") or []}
            if len(names) != len(set(names)):
                dup += 1
                detail.append(f"{cid}: {o['kind']} {o['metadata']['name']} has duplicate volume names")
            for c in (spec.get("containers") or []) + (spec.get("initContainers") or []):
                containers.setdefault(c["name"], (c, vols))
                for m in c.get("volumeMounts") or []:
                    if m["name"] not in vols:
                        dangling += 1
                        detail.append(f"{cid}: container {c['name']} mounts missing volume {m['name']}")
        for sname, s in (project.get("services") or {}).items():
            cname = re.sub(r"[^a-z0-9-]", "-", sname.lower()).strip("-")
            for v in s.get("volumes") or []:
                src = v.get("source") or ""
                if v.get("type") != "bind" or not os.path.isdir(src):
                    continue
                if not (src == d or src.startswith(d + "/")):
                    kinds["(host folder outside the project, not counted)"] += 1
                    continue
                if not has_content(src):
                    continue
                rel = "." + src[len(d):] if src.startswith(d) else src
                c, vols = containers.get(cname, (None, {}))
                m = next((m for m in (c or {}).get("volumeMounts") or [] if m["mountPath"] == v["target"]), None)
                vol = vols.get(m["name"]) if m else None
                if vol is None:
                    kind = "not found"
                else:
                    kind = next((k for k in ("configMap", "projected", "persistentVolumeClaim", "hostPath", "emptyDir") if k in vol), "other")
                    if kind == "emptyDir":
                        named = f"`{rel}`" in warnings or f"`{rel.rstrip('/')}`" in warnings
                        sized = re.search(re.escape(f"`{rel}`") + r"[^\n]*(KiB|MiB| B\b)", warnings)
                        kind = "emptyDir (warned with size and seed step)" if sized else ("emptyDir (warned, content lost)" if named else "emptyDir (silent)")
                kinds[kind] += 1
                projects[kind].add(os.path.dirname(cid) if a.compose else cid.split("-")[0])
                if a.verbose:
                    detail.append(f"{cid}: {sname} {rel} -> {v['target']} ({folder_size(src)} B): {kind}")
    print(f"mounts-corpus: {cases} cases converted by {binary}")
    print("bind-mounted folders with content, by what they become:")
    for k, n in sorted(kinds.items()):
        print(f"  {k}: {n} (in {len(projects[k])} projects)")
    print(f"pod specs with duplicate volume names: {dup}")
    print(f"mounts of a missing volume: {dangling}")
    print(f"ConfigMaps/Secrets over 1 MiB of data: {over_mib}")
    print(f"ConfigMaps/Secrets over 256 KiB as JSON (kubectl apply): {over_apply}")
    for line in detail:
        print("  " + line)
    silent = kinds["emptyDir (silent)"] + kinds["emptyDir (warned, content lost)"]
    return 1 if silent or dup or dangling or over_mib else 0


if __name__ == "__main__":
    sys.exit(main())
