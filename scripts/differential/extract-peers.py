#!/usr/bin/env python3
"""Vendor the Compose makers' own test inputs as differential cases (tests/peers/).

One-shot tool, run by a maintainer when the reference version changes; CI only reads its
output (CI has no GitHub access). Needs PyYAML (the CI venv has it) and three bare git
mirrors:

  extract-peers.py --compose-go GITDIR --compose GITDIR --spec GITDIR [--out tests/peers]

Sources, at the versions Docker Compose 2.40.3 uses:
  * docker/compose      tag v2.40.3: pkg/e2e/fixtures, and the YAML strings of its Go tests;
  * compose-spec/compose-go  the version docker/compose's go.mod names (v2.9.1): loader and
    cli testdata, dotenv fixtures, and the YAML, dotenv and interpolation strings of its Go
    tests;
  * compose-spec/compose-spec: the ```yaml examples of the spec's Markdown pages.

Strings are taken from Go source mechanically: every string literal that parses as a
Compose mapping becomes a one-file case; two such literals passed side by side to one call
(`assertMergeYaml(t, base, override, want)`) also become a two-file case (base + override);
a `map[string]string{...}` literal in the same call gives the case's environment. Dotenv
strings (dotenv tests) become an env_file of a one-service project, interpolation templates
(template/interpolation tests) an environment value. Output: the files below OUT, and
OUT/cases.json, a list of {name, dir, files, env_files, vars} (dir relative to OUT).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

COMPOSE_TOP = {"services", "include", "name", "volumes", "networks", "secrets", "configs",
               "models", "version"}
SKIP_FILE = re.compile(r"(^|/)(expected-[^/]*|\.git[^/]*)(/|$)|rsa|\.pem$|\.key$|\.tar$|\.png$")


def git(gitdir: str, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", gitdir, *args], check=True,
                          capture_output=True).stdout


def ls(gitdir: str, rev: str, prefix: str = "") -> list[str]:
    out = git(gitdir, "ls-tree", "-r", "--name-only", rev, *([prefix] if prefix else []))
    return [p for p in out.decode().splitlines() if p]


def show(gitdir: str, rev: str, path: str) -> bytes:
    return git(gitdir, "show", f"{rev}:{path}")


# --------------------------------------------------------------------------- Go lexing


def go_unquote(body: str) -> str:
    """Body of a Go interpreted string literal (without the quotes) to its value."""
    out, i = [], 0
    simple = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "a": "\a",
              "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = body[i + 1] if i + 1 < len(body) else ""
        if n == "x":
            out.append(chr(int(body[i + 2:i + 4], 16)))
            i += 4
        elif n == "u":
            out.append(chr(int(body[i + 2:i + 6], 16)))
            i += 6
        elif n == "U":
            out.append(chr(int(body[i + 2:i + 10], 16)))
            i += 10
        else:
            out.append(simple.get(n, n))
            i += 2
    return "".join(out)


def go_tokens(src: str):
    """Yield (kind, value, start, end) for strings ('str') and other significant characters
    ('(' ')' ',' '{' '}') and identifiers ('id'); comments and runes are skipped."""
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        if src.startswith("//", i):
            i = src.find("\n", i)
            i = n if i < 0 else i
        elif src.startswith("/*", i):
            j = src.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c == "`":
            j = src.find("`", i + 1)
            yield ("str", src[i + 1:j], i, j + 1)
            i = j + 1
        elif c == '"':
            j = i + 1
            while src[j] != '"':
                j += 2 if src[j] == "\\" else 1
            yield ("str", go_unquote(src[i + 1:j]), i, j + 1)
            i = j + 1
        elif c == "'":
            j = i + 1
            while src[j] != "'":
                j += 2 if src[j] == "\\" else 1
            i = j + 1
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            yield ("id", src[i:j], i, j)
            i = j
        elif c in "(),{}:":
            yield (c, c, i, i + 1)
            i += 1
        else:
            i += 1


def calls(src: str):
    """Per call (parenthesised argument list): (test function, callee, [args]), each arg a
    list of tokens. Also yields map[string]string literal pairs as args of kind 'map'."""
    toks = list(go_tokens(src))
    func = "top"
    stack: list[tuple[str, list]] = []     # (callee, args) per open paren
    prev_id = ""
    for k, (kind, val, _s, _e) in enumerate(toks):
        if kind == "id":
            if val == "func" and k + 1 < len(toks) and toks[k + 1][0] == "id" and not stack:
                func = toks[k + 1][1]
            prev_id = val
            continue
        if kind == "(":
            stack.append((prev_id, [[]]))
        elif kind == ")" and stack:
            callee, args = stack.pop()
            yield func, callee, [a for a in args if a]
            if stack:
                stack[-1][1][-1].append(("call", callee))
        elif kind == "," and stack:
            stack[-1][1].append([])
        elif kind == "str" and stack:
            stack[-1][1][-1].append(("str", val))
        elif kind == "str":
            yield func, "", [[("str", val)]]
        prev_id = ""


def string_maps(src: str) -> list[dict[str, str]]:
    """Every `map[string]string{"K": "V", ...}` literal of the file."""
    maps = []
    for m in re.finditer(r"map\[string\]\*?string\s*\{", src):
        depth, j = 1, m.end()
        while depth and j < len(src):
            depth += {"{": 1, "}": -1}.get(src[j], 0)
            j += 1
        body = src[m.end():j - 1]
        pairs = {}
        for k, v, raw in re.findall(r'"((?:[^"\\]|\\.)*)"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|`([^`]*)`)', body):
            pairs[go_unquote(k)] = raw if raw else go_unquote(v)
        if pairs:
            maps.append(pairs)
    return maps


# --------------------------------------------------------------------------- cases


def compose_doc(text: str) -> bool:
    try:
        doc = yaml.safe_load(text)
    except Exception:
        # still a case when it looks like Compose (the loaders must both refuse it)
        return bool(re.search(r"^services:\s*$", text, re.M))
    return isinstance(doc, dict) and "services" in doc and set(map(str, doc)) <= COMPOSE_TOP | {
        k for k in map(str, doc) if k.startswith("x-")} | {"services"}


class Writer:
    def __init__(self, out: Path):
        self.out = out
        self.cases: list[dict] = []
        self.names: set[str] = set()

    def write(self, rel: str, data: bytes) -> None:
        p = self.out / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)

    def case(self, name: str, dir_: str, files: list[str], env_files=(), vars_=None) -> None:
        base, i = name, 2
        while name in self.names:
            name = f"{base}#{i}"
            i += 1
        self.names.add(name)
        self.cases.append({"name": name, "dir": dir_, "files": files,
                           "env_files": list(env_files), "vars": dict(vars_ or {})})


def vendor_tree(w: Writer, gitdir: str, rev: str, prefix: str, dest: str, label: str) -> None:
    """Copy a fixture tree; every Compose file in it becomes a case run from its folder."""
    for path in ls(gitdir, rev, prefix):
        rel = path[len(prefix):].lstrip("/")
        if SKIP_FILE.search(rel):
            continue
        data = show(gitdir, rev, path)
        if b"\0" in data[:4096]:
            continue
        w.write(f"{dest}/{rel}", data)
        if rel.endswith((".yaml", ".yml")) and compose_doc(data.decode("utf-8", "replace")):
            d, _, f = f"{dest}/{rel}".rpartition("/")
            w.case(f"{label}/{rel}", d, [f])


def slug(s: str) -> str:
    return re.sub(r"[^a-z0-9_-]+", "-", s.lower()).strip("-")


def go_strings(w: Writer, gitdir: str, rev: str, files: list[str], dest: str, label: str,
               mode: str) -> None:
    """mode: compose | dotenv | template"""
    for path in files:
        src = show(gitdir, rev, path).decode("utf-8", "replace")
        folder = f"{dest}/{slug(path.rsplit('.', 1)[0])}"
        prefix = ""
        if path.startswith("loader/") and dest.startswith("compose-go/"):
            # beside loader/testdata, which the loader tests' strings name relatively
            folder, prefix = "compose-go/loader", slug(path.rsplit("/", 1)[1][:-3]) + "-"
        file_vars: dict[str, str] = {}
        for m in string_maps(src):
            file_vars.update(m)
        seen: set[tuple] = set()
        count: dict[str, int] = {}

        def emit(func: str, texts: list[str], vars_: dict, suffix: str = "yaml",
                 env_text: str | None = None) -> None:
            key = (tuple(texts), env_text, tuple(sorted(vars_.items())))
            if key in seen:
                return
            seen.add(key)
            count[func] = count.get(func, 0) + 1
            stem = f"{prefix}{slug(func)}-{count[func]}"
            names = []
            for i, t in enumerate(texts):
                fn = f"{stem}.{i}.{suffix}" if len(texts) > 1 else f"{stem}.{suffix}"
                w.write(f"{folder}/{fn}", t.encode())
                names.append(fn)
            w.case(f"{label}/{path}:{func}#{count[func]}", folder, names, (), vars_)

        assigned: dict[str, list[str]] = {}
        for func, callee, args in calls(src):
            strs = [a[0][1] for a in args if len(a) == 1 and a[0][0] == "str"]
            if mode == "compose" and not callee:
                assigned.setdefault(func, []).extend(d for d in strs if compose_doc(d))
            if mode == "compose":
                docs = [s for s in strs if compose_doc(s)]
                if not docs:
                    continue
                arg_src = " ".join(a[0][1] for a in args if a[0][0] == "call")
                vars_ = file_vars if "map" in arg_src or "Env" in callee else {}
                for d in docs:
                    emit(func, [d], vars_)
                if len(docs) >= 2 and re.search(r"merge|multiple|override|files", callee, re.I):
                    emit(func, docs[:2], vars_)
            elif mode == "dotenv":
                for s in strs:
                    if re.match(r"\s*(export\s+)?[A-Za-z_][\w.]*\s*[=:]", s):
                        fn_env = f"{slug(func)}-{count.get(func, 0) + 1}.env"
                        compose = ("services:\n  test:\n    image: alpine\n"
                                   f"    env_file: {fn_env}\n")
                        w.write(f"{folder}/{fn_env}", s.encode())
                        emit(func, [compose], {}, env_text=s)
            elif mode == "template":
                for s in strs:
                    if "$" in s and "\n" not in s:
                        compose = ("services:\n  test:\n    image: alpine\n    environment:\n"
                                   f"      VALUE: {json.dumps(s)}\n")
                        emit(func, [compose], file_vars)
        # Strings assigned to variables, then loaded together (`ConfigFiles: {{base},
        # {override}}`): one case with all of them, in order, as -f files.
        for func, docs in assigned.items():
            body = func_body(src, func)
            if len(docs) >= 2 and re.search(r"ConfigFiles|MultipleFiles", body):
                vars_ = {}
                for m in string_maps(body):
                    vars_.update(m)
                emit(func, docs, vars_)


def func_body(src: str, func: str) -> str:
    m = re.search(rf"^func {re.escape(func)}\(.*?(?=^func |\Z)", src, re.M | re.S)
    return m.group(0) if m else ""


def spec_examples(w: Writer, gitdir: str, rev: str, dest: str, label: str) -> None:
    fence = re.compile(r"^```ya?ml[^\n]*\n(.*?)^```", re.M | re.S)
    for path in ls(gitdir, rev):
        if not path.endswith(".md") or "/" in path or path == "spec.md":
            continue
        text = show(gitdir, rev, path).decode("utf-8", "replace")
        folder = f"{dest}/{slug(path[:-3])}"
        for i, m in enumerate(fence.finditer(text), 1):
            body = m.group(1)
            if compose_doc(body):
                fn = f"example-{i}.yaml"
                w.write(f"{folder}/{fn}", body.encode())
                w.case(f"{label}/{path}#{i}", folder, [fn])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--compose-go", required=True)
    ap.add_argument("--compose", required=True)
    ap.add_argument("--spec", required=True)
    ap.add_argument("--compose-tag", default="v2.40.3")
    ap.add_argument("--spec-rev", default="HEAD")
    ap.add_argument("--out", default=str(Path(__file__).resolve().parents[2] / "tests" / "peers"))
    a = ap.parse_args()
    out = Path(a.out)
    gomod = show(a.compose, a.compose_tag, "go.mod").decode()
    cg_tag = re.search(r"compose-spec/compose-go/v2 (v\S+)", gomod).group(1)
    revs = {"compose-go": (a.compose_go, cg_tag), "compose": (a.compose, a.compose_tag),
            "compose-spec": (a.spec, a.spec_rev)}
    for sub in revs:
        shutil.rmtree(out / sub, ignore_errors=True)
    w = Writer(out)
    sources = {}
    for sub, (gd, rev) in revs.items():
        commit = git(gd, "rev-parse", f"{rev}^{{commit}}").decode().strip()
        sources[sub] = {"rev": rev, "commit": commit}
        for lic in ("LICENSE", "NOTICE"):
            try:
                w.write(f"{sub}/{lic}", show(gd, commit, lic))
            except subprocess.CalledProcessError:
                pass

    gd, rev = revs["compose-go"]
    for prefix in ("loader/testdata", "cli/testdata"):
        vendor_tree(w, gd, rev, prefix, f"compose-go/{prefix}", f"compose-go/{prefix}")
    for p in ls(gd, rev, "loader"):
        if "/" not in p[len("loader/"):] and not p.endswith(".go"):
            w.write(f"compose-go/loader/{p[len('loader/'):]}", show(gd, rev, p))
    w.case("compose-go/loader/full-example.yml", "compose-go/loader", ["full-example.yml"])
    for p in ls(gd, rev, "dotenv/fixtures"):
        fn = p.rsplit("/", 1)[1]
        w.write(f"compose-go/dotenv/fixtures/{fn}", show(gd, rev, p))
        compose = f"services:\n  test:\n    image: alpine\n    env_file: {fn}\n"
        w.write(f"compose-go/dotenv/fixtures/{fn}.compose.yaml", compose.encode())
        w.case(f"compose-go/{p}", "compose-go/dotenv/fixtures", [f"{fn}.compose.yaml"])
    tests = [p for p in ls(gd, rev) if p.endswith("_test.go")]
    go_strings(w, gd, rev, [p for p in tests if not p.startswith(("dotenv/", "template/"))],
               "compose-go/strings", "compose-go", "compose")
    go_strings(w, gd, rev, [p for p in tests if p.startswith("dotenv/")],
               "compose-go/strings", "compose-go", "dotenv")
    go_strings(w, gd, rev, [p for p in tests if p.startswith(("template/", "interpolation/"))],
               "compose-go/strings-template", "compose-go", "template")

    gd, rev = revs["compose"]
    vendor_tree(w, gd, rev, "pkg/e2e/fixtures", "compose/pkg/e2e/fixtures", "compose/e2e")
    go_strings(w, gd, rev, [p for p in ls(gd, rev) if p.endswith("_test.go")],
               "compose/strings", "compose", "compose")

    gd, rev = revs["compose-spec"]
    spec_examples(w, gd, rev, "compose-spec/examples", "compose-spec")

    doc = {"sources": sources, "cases": w.cases}
    (out / "cases.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
    print(f"{len(w.cases)} cases written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
