#!/usr/bin/env python3
"""The connection check (issue 15): does every connection a Compose project makes by service
name still connect in the manifests? Independent of kubeferry's code: it reads only the
manifests and the loaded Compose model.

  scripts/connection-check.py MANIFESTS CONFIG.json [--json] [--quiet]
  scripts/connection-check.py --corpus [--fixtures] [--min-percent P] [--json] [--keep DIR]

MANIFESTS is a YAML stream, a JSON object or `kind: List`, or a folder of .yaml/.json files;
CONFIG.json is `kubeferry config --format json` (or `docker compose config --format json`).

A connection is a caller pod dialling a name: every value in the manifests that names a
Compose service (or its DNS form, its `container_name` or a network alias: the names Compose's
DNS answers to) as a host. A caller and a target that share no Compose network are left out:
that connection does not work under Compose either. Looked at: container env values and command/args, the data of ConfigMaps and Secrets the
pod reads (envFrom, env valueFrom, mounted files: converted config files). A name counts where
it stands as a host: a URL host (`scheme://[user@]NAME[:port]`, Kafka listeners included),
`NAME:port`, an nginx/Caddy/Envoy/Prometheus-style `server`/`reverse_proxy`/`address` entry, or
the whole value of an environment variable whose key says host (`DB_HOST=db`). The port is the
one written, else the scheme's default (http 80, postgres 5432, ...), else unknown.

A connection works when
  1. a Service named exactly NAME exists,
  2. it serves the port (unknown port: it serves at least one), and selects a pod,
  3. the NetworkPolicies that select that pod let the caller's pod in on the target port
     (after resolving a named targetPort through the pod's containers), and the egress
     policies that select the caller's pod (internal networks) let it out to that pod.

Prints `connections: W / T working` and each failure with its reason; --json prints totals
(and the failures) as JSON. With --corpus it converts every `ok` case of the realworld corpus
(and with --fixtures every fixtures/convert and fixtures/examples project) with KUBEFERRY_BIN
(default target/release/kubeferry) and checks each; --min-percent fails (exit 1) below that
share of working connections. Exit 2 when it cannot run.
"""

import argparse
import base64
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.environ.get("SHARED_DIR", os.path.join(HERE, "..", "shared"))
BIN = os.environ.get("KUBEFERRY_BIN", os.path.join(HERE, "target", "release", "kubeferry"))
CORPUS = os.path.join(SHARED, "corpus", "realworld")

WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "Pod"}
DEFAULT_PORTS = {
    "http": 80, "ws": 80, "https": 443, "wss": 443, "postgres": 5432, "postgresql": 5432,
    "mysql": 3306, "mariadb": 3306, "redis": 6379, "rediss": 6379, "mongodb": 27017,
    "amqp": 5672, "amqps": 5671, "nats": 4222, "mqtt": 1883, "ldap": 389, "ldaps": 636,
    "memcached": 11211, "smtp": 25, "ftp": 21,
}
# Environment keys whose whole value is a host name (`DB_HOST=db`, `REDIS_SERVER=cache`).
HOST_KEY = re.compile(r"(HOST|ADDR|ADDRESS|SERVER|SERVERS|ENDPOINT|BROKERS?|NODES?|SEEDS)S?$",
                      re.I)
# What may not touch a host name on either side.
NAME_CHAR = r"A-Za-z0-9_.\-"
URL = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*)://([^/\s\"'?#;,)\]}]*(?:,[^/\s\"'?#;)\]}]*)*)")


def default_port(scheme):
    return DEFAULT_PORTS.get(scheme.lower())


def parse_port(text):
    if text and text.isdigit() and 0 < int(text) <= 65535:
        return int(text)
    return None


def url_hosts(text):
    """(host, port or None, how) of every URL authority in text (several for `a:1,b:2`)."""
    for m in URL.finditer(text):
        scheme, authority = m.group(1), m.group(2)
        authority = authority.rsplit("@", 1)[-1]
        for part in authority.split(","):
            host, _, port = part.partition(":")
            if not host:
                continue
            p = parse_port(port) if port else default_port(scheme)
            yield host, p, f"{scheme}:// URL"


def name_port_hosts(text, names):
    """(host, port, how) of every `NAME:port` with NAME one of names."""
    for name in names:
        pat = re.compile(r"(?<![" + NAME_CHAR + r"@])" + re.escape(name) + r"((?::\d{1,5})+)(?![\d@A-Za-z_\-]|\.\d)")
        for m in pat.finditer(text):
            before = text[max(0, m.start() - 2):m.start()]
            # `org/redis:7` is an image; `//redis:6379` is a URL (counted by url_hosts).
            if before.endswith("/"):
                continue
            # `zoo1:2888:3888`: ZooKeeper's peer and election ports, both dialled.
            for digits in m.group(1).split(":")[1:]:
                p = parse_port(digits)
                if p and p >= 20:  # below 20 it is an image tag (`postgres:16`)
                    yield name, p, "host:port"


CONFIG_HOST = re.compile(
    r"(?:^|[\s{,;])(?:server|reverse_proxy|fastcgi_pass|grpc_pass|uwsgi_pass|address|host|hostname|to)"
    r"\s*[:= ]\s*[\"']?([A-Za-z0-9_.\-]+)[\"']?(?=[\s;,}\]\"']|$)", re.M)
PORT_NEAR = re.compile(r"\bport(?:_value)?\s*[:=]\s*[\"']?(\d{1,5})")


def config_hosts(text, names):
    """Hosts a config file names without a port after them: nginx `server NAME;`, Caddy
    `reverse_proxy NAME`, Envoy `address: NAME` + `port_value: N`, `host: NAME` + `port: N`."""
    upstreams = set(re.findall(r"\bupstream\s+([A-Za-z0-9_.\-]+)\s*\{", text))
    for m in CONFIG_HOST.finditer(text):
        host = m.group(1)
        if host not in names or host in upstreams:
            continue
        word = m.group(0).strip().split()[0].rstrip(":=").lstrip("{,;")
        near = PORT_NEAR.search(text, m.end(), m.end() + 200)
        if near:
            yield host, parse_port(near.group(1)), f"{word} + port"
        elif word in ("reverse_proxy", "server"):
            yield host, 80, word
        else:
            yield host, None, word


def dials(text, names, key=None, config=False):
    """The (host, port, how) a value or file dials, hosts restricted to names, once each."""
    found = []
    upstreams = set(re.findall(r"\bupstream\s+([A-Za-z0-9_.\-]+)\s*\{", text)) if config else set()
    for h, p, how in url_hosts(text):
        if h in names and h not in upstreams:
            found.append((h, p, how))
    found += list(name_port_hosts(text, names))
    if config:
        found += list(config_hosts(text, names))
    elif key is not None and HOST_KEY.search(key):
        for part in re.split(r"[,\s]+", text.strip()):
            if part in names:
                found.append((part, None, f"{key}=NAME"))
    out = []
    for f in found:
        # A port-less mention of a host also dialled with a port in the same text is that one.
        if f[1] is None and any(g[0] == f[0] and g[1] is not None for g in found):
            continue
        if f not in out:
            out.append(f)
    return out


def load_manifests(path):
    texts = []
    if os.path.isdir(path):
        for root, _, files in sorted(os.walk(path)):
            for f in sorted(files):
                if f.endswith((".yaml", ".yml", ".json")):
                    with open(os.path.join(root, f)) as fh:
                        texts.append(fh.read())
    else:
        with open(path) as fh:
            texts.append(fh.read())
    objects = []
    for t in texts:
        if t.lstrip().startswith("{"):
            docs = [json.loads(t)]
        else:
            import yaml  # only for YAML input

            docs = list(yaml.safe_load_all(t))
        for d in docs:
            if not isinstance(d, dict):
                continue
            if d.get("kind") == "List":
                objects += [i for i in d.get("items", []) if isinstance(i, dict)]
            else:
                objects.append(d)
    return objects


def pod_template(o):
    kind = o.get("kind")
    spec = o.get("spec") or {}
    if kind == "Pod":
        return o.get("metadata") or {}, spec
    if kind == "CronJob":
        spec = (spec.get("jobTemplate") or {}).get("spec") or {}
    t = spec.get("template") or {}
    return t.get("metadata") or {}, t.get("spec") or {}


def selects(selector, labels):
    """Whether a LabelSelector (or a Service's plain selector map) matches labels."""
    if selector is None:
        return False
    if "matchLabels" not in selector and "matchExpressions" not in selector:
        ml, exprs = selector, []
    else:
        ml, exprs = selector.get("matchLabels") or {}, selector.get("matchExpressions") or []
    if any(labels.get(k) != v for k, v in ml.items()):
        return False
    for e in exprs:
        k, op, vals = e.get("key"), e.get("operator"), e.get("values") or []
        if op == "In" and labels.get(k) not in vals:
            return False
        if op == "NotIn" and k in labels and labels[k] in vals:
            return False
        if op == "Exists" and k not in labels:
            return False
        if op == "DoesNotExist" and k in labels:
            return False
    return True


class Pod:
    def __init__(self, name, labels, spec):
        self.name, self.labels, self.spec = name, labels, spec
        self.containers = (spec.get("initContainers") or []) + (spec.get("containers") or [])

    def port_named(self, name):
        for c in self.spec.get("containers") or []:
            for p in c.get("ports") or []:
                if p.get("name") == name:
                    return p.get("containerPort"), p.get("protocol", "TCP")
        return None, None

    def port_name_of(self, number):
        for c in self.spec.get("containers") or []:
            for p in c.get("ports") or []:
                if p.get("containerPort") == number:
                    return p.get("name")
        return None


def admitted(policies, caller, target, port, proto, ns):
    """Whether the NetworkPolicies let caller's pod reach target's pod on port/proto: the
    target's ingress policies let the caller in, and the caller's egress policies let it out."""
    return (allowed(policies, "Ingress", target, caller, target, port, proto, ns)
            and allowed(policies, "Egress", caller, target, target, port, proto, ns))


def allowed(policies, direction, subject, peer_pod, target, port, proto, ns):
    """Whether the policies of `direction` that select `subject` allow traffic with
    `peer_pod` on the target's port/proto (no such policy: allowed)."""
    key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    chosen = [p for p in policies
              if (p.get("metadata") or {}).get("namespace") == ns
              and selects((p.get("spec") or {}).get("podSelector") or {}, subject.labels)
              and direction in ((p.get("spec") or {}).get("policyTypes") or ["Ingress"])]
    if not chosen:
        return True
    pname = target.port_name_of(port)
    for p in chosen:
        for rule in (p.get("spec") or {}).get(key) or []:
            peers = rule.get(peers_key)
            if peers:
                ok = False
                for peer in peers:
                    if "ipBlock" in peer:
                        continue
                    if "namespaceSelector" in peer and peer["namespaceSelector"] != {}:
                        continue  # another namespace: not the other pod's
                    if selects(peer.get("podSelector", {}), peer_pod.labels):
                        ok = True
                if not ok:
                    continue
            ports = rule.get("ports")
            if not ports:
                return True
            for rp in ports:
                if rp.get("protocol", "TCP") != proto:
                    continue
                want = rp.get("port")
                if want is None:
                    return True
                if isinstance(want, str) and not want.isdigit():
                    if want == pname:
                        return True
                    continue
                lo = int(want)
                hi = rp.get("endPort") or lo
                if lo <= port <= hi:
                    return True
    return False


def dial_names(config):
    """Every name a Compose container can be dialled by: service names, their DNS forms,
    container_name and network aliases."""
    names = set()
    for name, svc in (config.get("services") or {}).items():
        names.add(name)
        if dns(name):
            names.add(dns(name))
        if svc.get("container_name"):
            names.add(svc["container_name"])
        for net in (svc.get("networks") or {}).values():
            for a in (net or {}).get("aliases") or []:
                names.add(a)
    # Names that are also common words of values would make every `localhost` a dial.
    return {n for n in names if n not in ("localhost", "0.0.0.0")}


def dns(name):
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def compose_networks(config):
    """Workload name (the DNS form of the service that owns the pod) -> the Compose networks
    of its pod, or None for the host's network (reaches and is reached by everything)."""
    services = config.get("services") or {}
    out = {}
    for name, svc in services.items():
        mode = svc.get("network_mode") or ""
        if mode.startswith("service:"):
            continue  # joins the other service's pod
        if mode == "host":
            nets = None
        elif mode == "none":
            nets = set()
        else:
            nets = set((svc.get("networks") or {"default": None}).keys())
        for key in {dns(name), dns(svc.get("container_name") or name)}:
            out[key] = nets
    return out


def decode(data, binary=False):
    out = {}
    for k, v in (data or {}).items():
        if binary:
            try:
                v = base64.b64decode(v).decode("utf-8")
            except Exception:
                continue
        if isinstance(v, str):
            out[k] = v
    return out


def check(objects, config):
    # The project's names, and the names of the Services written for it (a name that had to
    # change, `3proxy` -> `s-3proxy`, is dialled under the new one).
    names = dial_names(config) | {
        (o.get("metadata") or {}).get("name") for o in objects if o.get("kind") == "Service"}
    services = {}
    pods = []
    policies = []
    maps = {}
    for o in objects:
        kind = o.get("kind")
        meta = o.get("metadata") or {}
        ns = meta.get("namespace")
        if kind == "Service":
            services[(ns, meta.get("name"))] = o
        elif kind == "NetworkPolicy":
            policies.append(o)
        elif kind == "ConfigMap":
            maps[("ConfigMap", ns, meta.get("name"))] = decode(o.get("data")) | decode(
                o.get("binaryData"), True)
        elif kind == "Secret":
            maps[("Secret", ns, meta.get("name"))] = decode(o.get("stringData")) | decode(
                o.get("data"), True)
        elif kind in WORKLOADS or kind == "CronJob":
            tmeta, spec = pod_template(o)
            p = Pod(meta.get("name"), tmeta.get("labels") or {}, spec)
            p.ns, p.kind = ns, kind
            pods.append(p)

    def source_of(ns, kind, name):
        return maps.get((kind, ns, name), {})

    conns = {}
    for caller in pods:
        found = []
        for c in caller.containers:
            if c.get("name") == "wait-for-dependencies":
                continue  # kubeferry's own, not a Compose connection
            for e in c.get("env") or []:
                if "value" in e:
                    found += [(d, f"{c['name']} env {e['name']}") for d in dials(str(e["value"]), names, e["name"])]
                ref = (e.get("valueFrom") or {})
                for kind, k in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                    r = ref.get(k)
                    if r:
                        v = source_of(caller.ns, kind, r.get("name")).get(r.get("key"))
                        if v is not None:
                            found += [(d, f"{c['name']} env {e['name']} ({kind} {r.get('name')})") for d in dials(v, names, e["name"])]
            for ef in c.get("envFrom") or []:
                for kind, k in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                    r = ef.get(k)
                    if r:
                        for key, v in source_of(caller.ns, kind, r.get("name")).items():
                            found += [(d, f"{c['name']} envFrom {kind} {r.get('name')} {key}") for d in dials(v, names, key)]
            for field in ("command", "args"):
                for i, a in enumerate(c.get(field) or []):
                    found += [(d, f"{c['name']} {field}[{i}]") for d in dials(str(a), names)]
        for v in caller.spec.get("volumes") or []:
            refs = []
            if "configMap" in v:
                refs.append(("ConfigMap", v["configMap"].get("name")))
            if "secret" in v:
                refs.append(("Secret", v["secret"].get("secretName")))
            for s in (v.get("projected") or {}).get("sources") or []:
                if "configMap" in s:
                    refs.append(("ConfigMap", s["configMap"].get("name")))
                if "secret" in s:
                    refs.append(("Secret", s["secret"].get("name")))
            for kind, name in refs:
                for key, text in source_of(caller.ns, kind, name).items():
                    found += [(d, f"{kind} {name} file {key}") for d in dials(text, names, config=True)]
        for (host, port, how), where in found:
            conns.setdefault((caller.name, caller.ns, host, port), (caller, f"{where} ({how})"))

    nets = compose_networks(config)
    results = []
    for (cname, ns, host, port), (caller, where) in sorted(conns.items(), key=lambda kv: (kv[0][0], kv[0][2], kv[0][3] or 0)):
        if not compose_reaches(config, nets, cname, host):
            continue  # no network in common: it does not connect under Compose either
        reason = judge(services, pods, policies, caller, ns, host, port)
        results.append({"caller": cname, "host": host, "port": port, "where": where,
                        "ok": reason is None, "reason": reason})
    return results


def compose_reaches(config, nets, caller, host):
    """Whether, under Compose, the caller's pod shares a network with what `host` names."""
    services = config.get("services") or {}
    target = None
    for name, svc in services.items():
        aliases = {name, dns(name), svc.get("container_name")}
        for net in (svc.get("networks") or {}).values():
            aliases.update((net or {}).get("aliases") or [])
        if host in aliases:
            mode = svc.get("network_mode") or ""
            target = mode[len("service:"):] if mode.startswith("service:") else name
            break
    if target is None or caller not in nets:
        return True
    a, b = nets[caller], nets.get(dns(target), nets.get(target))
    return a is None or b is None or bool(a & b) or caller == dns(target)


def judge(services, pods, policies, caller, ns, host, port):
    svc = services.get((ns, host))
    if svc is None:
        return f"no Service named `{host}`"
    spec = svc.get("spec") or {}
    sports = spec.get("ports") or []
    headless = spec.get("clusterIP") == "None"
    targets = [p for p in pods if p.ns == ns and spec.get("selector") and selects(spec["selector"], p.labels)]
    if not targets:
        return f"Service `{host}` selects no pod"
    target = targets[0]
    if port is None:
        candidates = [p for p in sports if p.get("protocol", "TCP") == "TCP"]
        if not candidates:
            return None if headless and admitted_any(policies, caller, target, ns) else f"Service `{host}` serves no TCP port"
    else:
        candidates = [p for p in sports if p.get("port") == port and p.get("protocol", "TCP") == "TCP"]
        if not candidates:
            if headless and not sports:
                return None if admitted(policies, caller, target, port, "TCP", ns) else \
                    f"NetworkPolicies do not let `{caller.name}` into `{target.name}` on {port}"
            have = ", ".join(str(p.get("port")) for p in sports) or "none"
            return f"Service `{host}` does not serve port {port} (serves {have})"
    blocked = []
    for sp in candidates:
        tp = sp.get("targetPort", sp.get("port"))
        if isinstance(tp, str) and not tp.isdigit():
            number, _ = target.port_named(tp)
            if number is None:
                blocked.append(f"targetPort `{tp}` names no container port of `{target.name}`")
                continue
        else:
            number = int(tp)
        if admitted(policies, caller, target, number, "TCP", ns):
            return None
        blocked.append(f"NetworkPolicies do not let `{caller.name}` into `{target.name}` on {number}")
    return blocked[0]


def admitted_any(policies, caller, target, ns):
    ports = [p.get("containerPort") for c in target.spec.get("containers") or [] for p in c.get("ports") or []]
    return any(admitted(policies, caller, target, p, "TCP", ns) for p in ports or [80])


def summary(results):
    ok = sum(r["ok"] for r in results)
    return ok, len(results)


VERBOSE = False


def report(label, results, quiet=False, out=sys.stdout):
    ok, total = summary(results)
    if VERBOSE:
        for r in results:
            if r["ok"]:
                port = r["port"] if r["port"] is not None else "?"
                print(f"  ok   {label}{r['caller']} -> {r['host']}:{port} [{r['where']}]", file=out)
    if not quiet:
        for r in results:
            if not r["ok"]:
                port = r["port"] if r["port"] is not None else "?"
                print(f"  FAIL {label}{r['caller']} -> {r['host']}:{port}: {r['reason']} [{r['where']}]", file=out)
    return ok, total


# --- corpus mode -----------------------------------------------------------------------------

def cases():
    """The corpus's `ok` cases, loaded as harden-check.py (the reference for the corpus
    scripts in Python) loads them: (case, folder, flags, environment)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "harden_check", os.path.join(HERE, "scripts", "harden-check.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.cases()


def fixture_cases():
    for base in ("fixtures/convert", "fixtures/examples", "fixtures/harden"):
        root = os.path.join(HERE, base)
        if not os.path.isdir(root):
            continue
        for d in sorted(os.listdir(root)):
            full = os.path.join(root, d)
            if not os.path.isfile(os.path.join(full, "compose.yaml")):
                continue
            extra = []
            argf = os.path.join(full, "args")
            if os.path.isfile(argf):
                for line in open(argf):
                    line = line.strip()
                    if line and not line.startswith("#"):
                        extra += line.split(" ", 1)
            env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"), "PWD": full}
            yield f"{base.split('/')[1]}/{d}", full, ["-f", "compose.yaml"], env, extra


def run_one(cid, cwd, args, env, extra, keep):
    out = os.path.join(keep, cid.replace("/", "-") + ".json")
    p = subprocess.run([BIN, "convert", *args, "--format", "json", "-q", "-o", out, *extra],
                       cwd=cwd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        return None
    c = subprocess.run([BIN, "config", *args, "--format", "json"], cwd=cwd, env=env,
                       capture_output=True, text=True)
    if c.returncode != 0:
        return None
    return check(load_manifests(out), json.loads(c.stdout))


def corpus(a):
    keep = a.keep or tempfile.mkdtemp(prefix="connection-check-")
    os.makedirs(keep, exist_ok=True)
    jobs = [(cid, cwd, args, env, []) for cid, cwd, args, env in cases()]
    if a.fixtures:
        jobs += list(fixture_cases())
    ok = total = 0
    per_case = {}
    failures = []
    for cid, cwd, args, env, extra in jobs:
        results = run_one(cid, cwd, args, env, extra, keep)
        if results is None:
            continue
        o, t = report(f"{cid}: ", results, quiet=a.json)
        ok, total = ok + o, total + t
        per_case[cid] = {"working": o, "total": t}
        failures += [dict(r, case=cid) for r in results if not r["ok"]]
    share = 100.0 * ok / total if total else 100.0
    if a.json:
        json.dump({"working": ok, "total": total, "percent": round(share, 2), "cases": per_case,
                   "failures": failures}, sys.stdout, indent=1)
        print()
    else:
        print(f"connection-check: {ok} / {total} connections working ({share:.1f}%) in {len(per_case)} projects")
    if a.min_percent is not None and share < a.min_percent:
        print(f"connection-check: below the threshold of {a.min_percent}%", file=sys.stderr)
        return 1
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("manifests", nargs="?")
    ap.add_argument("config", nargs="?")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--quiet", action="store_true", help="totals only")
    ap.add_argument("--corpus", action="store_true")
    ap.add_argument("--fixtures", action="store_true")
    ap.add_argument("--min-percent", type=float)
    ap.add_argument("--keep", help="corpus mode: keep the converted output here")
    ap.add_argument("--verbose", action="store_true", help="list the working connections too")
    a = ap.parse_args()
    global VERBOSE
    VERBOSE = a.verbose
    if a.corpus:
        if not os.path.isfile(os.path.join(CORPUS, "cases.tsv")) or not os.access(BIN, os.X_OK):
            print(f"connection-check: needs {CORPUS}/cases.tsv and {BIN}", file=sys.stderr)
            return 2
        return corpus(a)
    if not a.manifests or not a.config:
        ap.print_usage(sys.stderr)
        return 2
    with open(a.config) as f:
        config = json.load(f)
    results = check(load_manifests(a.manifests), config)
    ok, total = summary(results)
    if a.json:
        json.dump({"working": ok, "total": total, "failures": [r for r in results if not r["ok"]]},
                  sys.stdout, indent=1)
        print()
    else:
        report("", results, a.quiet)
        print(f"connections: {ok} / {total} working")
    if a.min_percent is not None and total and 100.0 * ok / total < a.min_percent:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
