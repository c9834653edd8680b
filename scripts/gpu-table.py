#!/usr/bin/env python3
"""Write the corpus tables of docs/gpus.md from kubeferry's actual output.

    gpu-table.py OUT DOC

OUT holds `plugin/<case>/`, `dra/<case>/` and `runner/<case>/` as scripts/gpu-corpus.sh
writes them. The tables replace the text between the `<!-- gpu-corpus:begin -->` and
`<!-- gpu-corpus:end -->` markers of DOC.
"""
import os
import re
import sys

import yaml

GPU_RESOURCES = ("nvidia.com/gpu", "amd.com/gpu", "gpu.intel.com/i915")
WORKLOADS = ("Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob")


def objects(folder):
    for name in sorted(os.listdir(folder)):
        if name.endswith((".yaml", ".yml")):
            with open(os.path.join(folder, name)) as fh:
                for doc in yaml.safe_load_all(fh):
                    if doc:
                        yield doc


def pod_spec(o):
    spec = o.get("spec") or {}
    if o["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def cases(folder):
    return sorted(c for c in os.listdir(folder) if os.path.isdir(os.path.join(folder, c)))


def main(out, doc):
    plugin, dra, runner = (os.path.join(out, d) for d in ("plugin", "dra", "runner"))
    gpu_rows, model_rows = [], []
    for case in cases(plugin):
        claims = {}
        dra_dir = os.path.join(dra, case)
        if os.path.isdir(dra_dir):
            for o in objects(dra_dir):
                if o["kind"] == "ResourceClaimTemplate":
                    reqs = o["spec"]["spec"]["devices"]["requests"]
                    claims[o["metadata"]["name"]] = ", ".join(
                        "%s %s" % (r["exactly"]["deviceClassName"],
                                   "All" if r["exactly"]["allocationMode"] == "All"
                                   else r["exactly"]["count"])
                        for r in reqs)
        for o in objects(os.path.join(plugin, case)):
            if o["kind"] not in WORKLOADS:
                continue
            spec = pod_spec(o)
            name = o["metadata"]["name"]
            shm = next((v["emptyDir"].get("sizeLimit", "no limit") for v in spec.get("volumes", [])
                        if v.get("emptyDir", {}).get("medium") == "Memory"
                        and any(m["mountPath"] == "/dev/shm" and m["name"] == v["name"]
                                for c in spec["containers"] for m in c.get("volumeMounts", []))), "")
            for c in spec["containers"]:
                limits = (c.get("resources") or {}).get("limits") or {}
                for r in GPU_RESOURCES:
                    if r in limits:
                        gpu_rows.append((case, name, r, limits[r], claims.get(name + "-gpu", "—"), shm or "—"))
        run_dir = os.path.join(runner, case)
        if not os.path.isdir(run_dir):
            continue
        for o in objects(run_dir):
            if o["kind"] not in WORKLOADS or o["metadata"]["name"].startswith("model-"):
                continue
            for c in pod_spec(o)["containers"]:
                env = {e["name"]: e.get("value", "") for e in c.get("env", [])}
                for k, v in env.items():
                    m = re.fullmatch(r"http://(model-[a-z0-9-]+):12434/engines/v1/", v)
                    if m:
                        model = next((ev for ek, ev in env.items() if ek != k and ek.endswith("MODEL")
                                      and ek.startswith(k.rsplit("_", 1)[0])), "")
                        model_rows.append((case, o["metadata"]["name"], k, m.group(1), model))
    lines = ["", "### GPUs (device plugin, and the DRA request with `--gpu-api dra`)", "",
             "| corpus case | service | resource | count | DRA request | /dev/shm |",
             "|---|---|---|---|---|---|"]
    lines += ["| %s | %s | `%s` | %s | %s | %s |" % r for r in gpu_rows]
    lines += ["", "### Models (with `--model-runner-image`)", "",
              "| corpus case | service | URL variable | runner | model |",
              "|---|---|---|---|---|"]
    lines += ["| %s | %s | `%s` | `%s` | `%s` |" % r for r in model_rows]
    lines.append("")
    text = open(doc).read()
    begin, end = "<!-- gpu-corpus:begin -->", "<!-- gpu-corpus:end -->"
    a, b = text.index(begin) + len(begin), text.index(end)
    with open(doc, "w") as fh:
        fh.write(text[:a] + "\n".join(lines) + text[b:])
    print("gpu-table: %d GPU rows, %d model rows written to %s" % (len(gpu_rows), len(model_rows), doc))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
