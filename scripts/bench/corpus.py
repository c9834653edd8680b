#!/usr/bin/env python3
"""Time `kubeferry convert` over every `ok` case of the realworld corpus.

    corpus.py KUBEFERRY_BIN CORPUS_DIR OUT_DIR RUNS [file|folder]

Each case is converted as scripts/convert-corpus.sh does (same files, env files, profiles,
variables, a clean environment), into OUT_DIR/<case>.yaml (`file`, the default: one stream, as
the other rows of the benchmark write) or into the folder OUT_DIR/<case> with one file per
object (`folder`, as convert-corpus.sh writes). The whole corpus is converted RUNS times;
prints `cases<TAB>N` and one `total<TAB>seconds` line per run (the sum of the process wall
times of the cases).
"""
import csv
import os
import shutil
import subprocess
import sys
import time


def commands(binary, root, out, layout="file"):
    with open(os.path.join(root, "cases.tsv"), newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            if row["expect"] != "ok":
                continue
            args = [binary, "convert"]
            for p in row["files"].split(","):
                args += ["-f", p]
            for key, flag in (("env_file", "--env-file"), ("profiles", "--profile")):
                if row[key] != "-":
                    for p in row[key].split(","):
                        args += [flag, p]
            target = row["case"] + (".yaml" if layout == "file" else "")
            args += ["-q", "-o", os.path.join(out, target)]
            cwd = os.path.join(root, row["dir"])
            env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/"), "PWD": cwd}
            if row["vars"] != "-":
                env.update(v.split("=", 1) for v in row["vars"].split())
            yield row["case"], args, cwd, env


def main():
    binary, root, out, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    layout = sys.argv[5] if len(sys.argv) > 5 else "file"
    cases = list(commands(binary, root, out, layout))
    print(f"cases\t{len(cases)}")
    for _ in range(runs):
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        total = 0.0
        for case, args, cwd, env in cases:
            start = time.perf_counter()
            done = subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
            total += time.perf_counter() - start
            if done.returncode != 0:
                sys.exit(f"corpus: {case} failed: {done.stderr.decode()[:300]}")
        print(f"total\t{total:.4f}")


if __name__ == "__main__":
    main()
