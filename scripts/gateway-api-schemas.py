#!/usr/bin/env python3
"""Vendor the JSON schemas of the Gateway API routes kubeferry writes (issue 19).

  scripts/gateway-api-schemas.py GATEWAY_API_CHECKOUT TAG

Reads the standard-channel CRDs of HTTPRoute and GRPCRoute at TAG from a git checkout of
kubernetes-sigs/gateway-api, takes the `v1` version's openAPIV3Schema and writes it as JSON
Schema (draft 7) to tests/gateway-api/<kind>.v1.json: `nullable` becomes a "null" type,
`x-kubernetes-int-or-string` an integer-or-string, the other `x-kubernetes-*` extensions
(CEL rules, list types) are dropped (jsonschema cannot run them), and the root requires
apiVersion, kind and spec with their values. The test `gateway_routes` validates
kubeferry's routes against these files offline.
"""
import json
import os
import subprocess
import sys

import yaml

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(HERE, "tests", "gateway-api")
KINDS = {"HTTPRoute": "httproutes", "GRPCRoute": "grpcroutes"}


def convert(node):
    if isinstance(node, list):
        return [convert(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for k, v in node.items():
        if k.startswith("x-kubernetes-") or k == "nullable":
            continue
        if k in ("properties", "patternProperties", "definitions"):
            out[k] = {name: convert(s) for name, s in v.items()}
        else:
            out[k] = convert(v)
    if node.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if node.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def main():
    repo, tag = sys.argv[1], sys.argv[2]
    commit = subprocess.check_output(["git", "-C", repo, "rev-parse", f"{tag}^{{commit}}"],
                                     text=True).strip()
    os.makedirs(OUT, exist_ok=True)
    for kind, plural in KINDS.items():
        path = f"config/crd/standard/gateway.networking.k8s.io_{plural}.yaml"
        crd = yaml.safe_load(subprocess.check_output(["git", "-C", repo, "show", f"{tag}:{path}"]))
        (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1"]
        schema = convert(version["schema"]["openAPIV3Schema"])
        schema["$schema"] = "http://json-schema.org/draft-07/schema#"
        schema["$comment"] = (f"kubernetes-sigs/gateway-api {tag} ({commit}), {path}, v1 "
                              "openAPIV3Schema converted by scripts/gateway-api-schemas.py; "
                              "Apache-2.0, see LICENSE beside this file")
        schema["required"] = sorted(set(schema.get("required", [])) | {"apiVersion", "kind", "spec"})
        schema["properties"]["apiVersion"]["const"] = "gateway.networking.k8s.io/v1"
        schema["properties"]["kind"]["const"] = kind
        with open(os.path.join(OUT, f"{kind.lower()}.v1.json"), "w") as f:
            json.dump(schema, f, indent=1, sort_keys=True)
            f.write("\n")
    license_text = subprocess.check_output(["git", "-C", repo, "show", f"{tag}:LICENSE"])
    with open(os.path.join(OUT, "LICENSE"), "wb") as f:
        f.write(license_text)
    with open(os.path.join(OUT, "SOURCE"), "w") as f:
        f.write(f"https://github.com/kubernetes-sigs/gateway-api {tag} {commit}\n"
                "config/crd/standard/gateway.networking.k8s.io_{httproutes,grpcroutes}.yaml, "
                "version v1, spec.versions[].schema.openAPIV3Schema\n"
                "Licence: Apache-2.0 (LICENSE). Regenerate: "
                "scripts/gateway-api-schemas.py CHECKOUT TAG\n")


if __name__ == "__main__":
    main()
