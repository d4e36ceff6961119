#!/usr/bin/env python3
"""Byte-identity of two builds: the test of a change that must not alter results.

    python3 benches/identity.py run BINARY OUT     # every shipped scenario and experiment
    python3 benches/identity.py compare OUT_A OUT_B

`run` runs every scenario in configs/ for 40 simulated days (12 in exact proof mode) in
both sharing modes and both proof modes, seeds 1-3, with --trace (seed 1 also draws the
charts), and every experiment in experiments/ with 2 replications of 20 days, with BINARY,
into OUT (replaced). `compare` reports every file that differs; the provenance that names
the build (manifest.json's wall time and commit, report.html's "Git commit" row) is
compared without those fields. Exit 1 when anything differs. JOBS (default 2) runs at once.
"""
import os, re, subprocess, sys, glob, json, shutil, filecmp
from concurrent.futures import ThreadPoolExecutor

REPO = os.environ.get("REPO", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

def set_keys(text, section, keys):
    lines = text.split("\n")
    out, cur, done = [], None, set()
    def flush_missing():
        for k, v in keys.items():
            if k not in done:
                out.append(f"{k} = {v}")
                done.add(k)
    found = False
    for ln in lines:
        m = re.match(r"^\s*\[([^\[\]]+)\]\s*(#.*)?$", ln)
        m2 = re.match(r"^\s*\[\[", ln)
        if m or m2:
            if cur == section:
                flush_missing()
            cur = m.group(1).strip() if m else None
            if cur == section:
                found = True
            out.append(ln)
            continue
        if cur == section:
            km = re.match(r"^\s*([A-Za-z_]+)\s*=", ln)
            if km and km.group(1) in keys:
                out.append(f"{km.group(1)} = {keys[km.group(1)]}")
                done.add(km.group(1))
                continue
        out.append(ln)
    if cur == section:
        flush_missing()
    if not found:
        out.append(f"[{section}]")
        flush_missing()
    return "\n".join(out)

def jobs(binary, outdir):
    js = []
    cfgdir = os.path.join(outdir, "cfg")
    os.makedirs(cfgdir, exist_ok=True)
    for cfg in sorted(glob.glob(f"{REPO}/configs/*.toml")):
        name = os.path.basename(cfg)[:-5]
        text = open(cfg).read()
        for sharing in ["max_min", "unshared"]:
            for proof in ["aggregated", "exact"]:
                days = "40 days" if proof == "aggregated" else "12 days"
                t = set_keys(text, "run", {"duration_s": f'"{days}"', "proof_mode": f'"{proof}"'})
                t = set_keys(t, "network", {"sharing": f'"{sharing}"'})
                p = os.path.join(cfgdir, f"{name}-{sharing}-{proof}.toml")
                open(p, "w").write(t)
                for seed in [1, 2, 3]:
                    d = os.path.join(outdir, "runs", f"{name}-{sharing}-{proof}-s{seed}")
                    js.append([binary, "run", p, "--seed", str(seed), "--out", d, "-q", "--trace"] +
                              (["--no-plots"] if seed != 1 else []))
    return js

def sweeps(binary, outdir):
    js = []
    for exp in sorted(glob.glob(f"{REPO}/experiments/*/experiment.toml")):
        name = exp.split("/")[-2]
        if name == "bench":
            continue
        text = open(exp).read()
        base_m = re.search(r'^base\s*=\s*"([^"]+)"', text, re.M)
        base = os.path.normpath(os.path.join(os.path.dirname(exp), base_m.group(1)))
        text = text.replace(base_m.group(0), f'base = "{base}"')
        text = re.sub(r"^replications\s*=\s*\d+", "replications = 2", text, flags=re.M)
        text = re.sub(r'^"run.duration_s"\s*=\s*"[^"]*"', '"run.duration_s" = "20 days"', text, flags=re.M)
        if '"run.duration_s"' not in text:
            text = text.replace("[set]\n", '[set]\n"run.duration_s" = "20 days"\n', 1)
        p = os.path.join(outdir, "cfg", f"exp-{name}.toml")
        open(p, "w").write(text)
        js.append([binary, "sweep", p, "--out", os.path.join(outdir, "sweeps", name), "-q", "-j", "1"])
    return js

def run_all(binary, outdir):
    binary = os.path.abspath(binary)
    if os.path.exists(outdir):
        shutil.rmtree(outdir)
    os.makedirs(outdir)
    js = jobs(binary, outdir) + sweeps(binary, outdir)
    par = int(os.environ.get("JOBS", "2"))
    def go(cmd):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            return f"FAIL {' '.join(cmd)}\n{r.stderr[-2000:]}"
        return None
    failed = 0
    with ThreadPoolExecutor(par) as ex:
        for res in ex.map(go, js):
            if res:
                failed += 1
                print(res)
    print(f"{len(js)} jobs, {failed} failed")
    return 1 if failed else 0

def manifest(path):
    d = json.load(open(path))
    for k in ["wall_time_s", "git_commit"]:
        d.pop(k, None)
    return d

def without_commit(path):
    return [l for l in open(path, encoding="utf-8") if "Git commit" not in l]

def compare(a, b):
    bad = []
    def walk(rel):
        da, db = os.path.join(a, rel), os.path.join(b, rel)
        na = set(os.listdir(da)) - ({"cfg"} if rel == "" else set())
        nb = set(os.listdir(db)) - ({"cfg"} if rel == "" else set())
        for n in sorted(na ^ nb):
            bad.append(f"only in one: {os.path.join(rel, n)}")
        for n in sorted(na & nb):
            r = os.path.join(rel, n)
            pa, pb = os.path.join(a, r), os.path.join(b, r)
            if os.path.isdir(pa):
                walk(r)
            elif n == "manifest.json":
                if manifest(pa) != manifest(pb):
                    bad.append(f"differs: {r}")
            elif n == "report.html":
                if without_commit(pa) != without_commit(pb):
                    bad.append(f"differs: {r}")
            elif not filecmp.cmp(pa, pb, shallow=False):
                bad.append(f"differs: {r}")
    walk("")
    for line in bad:
        print(line)
    print("identical (provenance aside)" if not bad else f"{len(bad)} differences")
    return 1 if bad else 0

def main():
    if len(sys.argv) == 4 and sys.argv[1] == "run":
        sys.exit(run_all(sys.argv[2], sys.argv[3]))
    if len(sys.argv) == 4 and sys.argv[1] == "compare":
        sys.exit(compare(sys.argv[2], sys.argv[3]))
    sys.exit(__doc__)

if __name__ == "__main__":
    main()
