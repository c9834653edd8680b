#!/usr/bin/env bash
# The Helm chart over the corpus, with Helm itself (the PyPI package helm-python-sdk bundles
# Helm v4's SDK; no helm binary, no cluster). For every `ok` case of the shared corpus:
#   - `helm lint --strict`: no warning and no error (an info, such as "icon is recommended",
#     is allowed);
#   - the default values render exactly the plain output;
#   - two sets of changed values render, have the effect asked for, and pass the offline
#     validator (../shared/tools/k8s-check) with 0 schema and 0 semantic errors:
#       A: replicas 3, an added and a changed env variable, limits cpu 4 / memory 8Gi, Service
#          type LoadBalancer, an extra Ingress host with TLS, image tag and digest, pull
#          policy, nodeSelector, tolerations, podAnnotations, claim size 5Gi;
#       B: `env: null`, `resources: null`, Service type ClusterIP (node ports must go);
#       C: `releasePrefix: true` (every object named `check-…`, with its references).
# Prints the counts; fails on any lint warning, differing render or invalid changed render.
#
#   KUBEFERRY_BIN      the binary (default: target/release/kubeferry, built if missing)
#   HELM_CHECK_VENV    where the virtualenv lives (default ~/.cache/kubeferry-helm-venv)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${KUBEFERRY_BIN:-$here/target/release/kubeferry}"
[ -x "$bin" ] || (cd "$here" && cargo build --quiet --release)
export KUBEFERRY_BIN="$bin"
# shellcheck source=lib/helm-venv.sh
. "$here/scripts/lib/helm-venv.sh"
shared="${SHARED_DIR:-$here/../shared}"
check="$shared/tools/k8s-check"
HARNESS_SKIP_CHECKOV=1 "$check/setup.sh" > /dev/null
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$here/scripts/convert-corpus.sh" "$out/helm" -- --layout helm > /dev/null
"$here/scripts/convert-corpus.sh" "$out/single" -- --layout single > /dev/null
HELM_DOCS_LIB="$here/scripts/lib" "$venv/bin/python" - "$out" <<'PY'
import copy, os, pathlib, sys
import helm_python as helm, yaml
sys.path.insert(0, os.environ["HELM_DOCS_LIB"])
from helm_docs import docs_of, key

out = pathlib.Path(sys.argv[1])
cases = sorted(p.name for p in (out / "helm").iterdir() if p.is_dir())


def merge(a, b):
    for k, v in b.items():
        if isinstance(v, dict) and isinstance(a.get(k), dict):
            merge(a[k], v)
        else:
            a[k] = v
    return a

def changes_a(values):
    ch = {"services": {}, "persistence": {}}
    for name, s in (values.get("services") or {}).items():
        c = {"replicas": 3, "nodeSelector": {"kubernetes.io/arch": "amd64"},
             "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "apps", "effect": "NoSchedule"}],
             "podAnnotations": {"example.com/changed": "yes"}}
        if "env" in s:
            c["env"] = {"KF_ADDED": "added", **{k: "changed" for k in list(s["env"])[:1]}}
        if "image" in s:
            c["image"] = {"tag": "9.9", "digest": "sha256:" + "0" * 64, "pullPolicy": "Always"}
        if "resources" in s:
            c["resources"] = {"limits": {"cpu": "4", "memory": "8Gi"}}
        if "service" in s:
            c["service"] = {"type": "LoadBalancer"}
        if "ingress" in s:
            c["ingress"] = {"hosts": s["ingress"]["hosts"] + ["added.example.com"], "tlsSecretName": "added-tls"}
        ch["services"][name] = c
    for name in values.get("persistence") or {}:
        ch["persistence"][name] = {"size": "5Gi"}
    return ch

def changes_b(values):
    ch = {"services": {}}
    for name, s in (values.get("services") or {}).items():
        c = {"env": None, "resources": None}
        if "service" in s:
            c["service"] = {"type": "ClusterIP"}
        ch["services"][name] = c
    return ch

def effect_a(docs, ch):
    """What set A asked for, missing from the render."""
    missing = []
    for d in docs:
        kind, name = d["kind"], d["metadata"]["name"]
        c = ch["services"].get(name, {})
        if kind in ("Deployment", "StatefulSet") and "replicas" in c and d["spec"].get("replicas") != 3:
            missing.append(f"{kind}/{name} replicas")
        pod = d.get("spec", {}).get("template", {}).get("spec") or \
            d.get("spec", {}).get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec")
        if pod and c:
            if pod.get("nodeSelector", {}).get("kubernetes.io/arch") != "amd64":
                missing.append(f"{kind}/{name} nodeSelector")
            for ctr in pod["containers"]:
                cc = ch["services"].get(ctr["name"], {})
                env = {e["name"]: e.get("value") for e in ctr.get("env", [])}
                if "env" in cc and env.get("KF_ADDED") != "added":
                    missing.append(f"{kind}/{name} env")
                if "image" in cc and not ctr["image"].endswith("@sha256:" + "0" * 64):
                    missing.append(f"{kind}/{name} image")
                if "resources" in cc and ctr["resources"]["limits"].get("cpu") != "4":
                    missing.append(f"{kind}/{name} resources")
        if kind == "Service" and "service" in c and d["spec"].get("type") != "LoadBalancer":
            missing.append(f"Service/{name} type")
        if kind == "Ingress" and "ingress" in c:
            hosts = [r.get("host") for r in d["spec"]["rules"]]
            if hosts != c["ingress"]["hosts"] or d["spec"]["tls"][0]["hosts"] != hosts:
                missing.append(f"Ingress/{name} hosts")
        if kind == "PersistentVolumeClaim" and name in ch["persistence"] and \
                d["spec"]["resources"]["requests"]["storage"] != "5Gi":
            missing.append(f"PVC/{name} size")
    return missing

def effect_b(docs):
    return [f"Service/{d['metadata']['name']} nodePort" for d in docs
            if d["kind"] == "Service" and d["spec"].get("type", "ClusterIP") == "ClusterIP"
            and any("nodePort" in p for p in d["spec"].get("ports", []))]

linted = same = 0
bad = []
changed = {"A": out / "changed-a", "B": out / "changed-b", "C": out / "changed-c"}

def effect_c(docs):
    return [f"{d['kind']}/{d['metadata']['name']} not prefixed" for d in docs
            if not d["metadata"]["name"].startswith("check-")
            or d["metadata"].get("labels", {}).get("app.kubernetes.io/instance") != "check"]
for case in cases:
    cdir = out / "helm" / case
    extra = cdir / "values-secrets.yaml"
    secrets = yaml.safe_load(extra.read_text()) if extra.exists() else {}
    values = yaml.safe_load((cdir / "values.yaml").read_text()) or {}
    lint = helm.lint(str(cdir), secrets or None, strict=True, namespace="default")
    findings = [m for m in lint["messages"] if m["severity"] >= 2] + lint["errors"]
    if findings:
        bad.append(f"{case}: lint: {findings[:2]}")
    else:
        linted += 1
    chart = helm.Chart.load(str(cdir))
    plain = [d for d in yaml.safe_load_all((out / "single" / case).read_text()) if d and d["kind"] != "Namespace"]
    if key(docs_of(chart.render(values=secrets or None, name="check", namespace="default"))) == key(plain):
        same += 1
    else:
        bad.append(f"{case}: the default values do not render the plain output")
    for name, ch, effect in (("A", changes_a(values), lambda d, ch: effect_a(d, ch)),
                             ("B", changes_b(values), lambda d, ch: effect_b(d)),
                             ("C", {"releasePrefix": True}, lambda d, ch: effect_c(d))):
        vals = merge(copy.deepcopy(secrets), ch)
        try:
            docs = docs_of(chart.render(values=vals, name="check", namespace="default"))
        except helm.HelmError as e:
            bad.append(f"{case}: values {name} do not render: {str(e)[:300]}")
            continue
        missing = effect(docs, ch)
        if missing:
            bad.append(f"{case}: values {name} without effect: {missing[:4]}")
        d = changed[name] / case
        d.mkdir(parents=True)
        (d / "manifests.yaml").write_text(yaml.safe_dump_all(docs, sort_keys=False))
rendered = {n: sum(1 for _ in p.iterdir()) if p.exists() else 0 for n, p in changed.items()}
print(f"helm-check: {linted}/{len(cases)} charts lint strictly clean; "
      f"{same}/{len(cases)} default renders equal the plain output; changed values render "
      f"with effect for {rendered['A']} (set A), {rendered['B']} (set B) and {rendered['C']} (set C) charts")
for b in bad:
    print("FAILED", b)
(out / "bad").write_text(str(len(bad)))
PY
status=0
[ "$(cat "$out/bad")" = 0 ] || status=1
for set in a b c; do
  "$check/validate.py" "$out/changed-$set" --no-checkov --scope dir --json > "$out/val-$set.json" || true
  python3 - "$out/val-$set.json" "$set" <<'PY' || status=1
import json, sys
r = json.load(open(sys.argv[1]))
t = r["totals"]
print(f"helm-check: changed values {sys.argv[2].upper()}: {t['objects']} objects rendered, "
      f"{t['schema_errors']} schema errors, {t['semantic_errors']} semantic errors")
sys.exit(1 if t["schema_errors"] or t["semantic_errors"] else 0)
PY
done
exit $status
