#!/usr/bin/env python3
"""Stress of the --out transaction (README, Rules: "Output directories").

1. Replace a run with --force and send SIGKILL/SIGINT/SIGTERM/SIGHUP at a random moment
   (0-110 % of a replace's measured time); OUT must then be the old or the new run, byte
   for byte, and the next run must leave nothing but OUT beside it.
2. Start two runs into one fresh OUT at once; exactly one may succeed, and OUT must pass
   `verify` and equal the winner's run.

Usage: tools/stress_out.py BINARY [KILL_TRIALS] [RACE_TRIALS]
"""
import collections, os, random, shutil, signal, subprocess, sys, tempfile, time

BIN = os.path.abspath(sys.argv[1])
KILLS = int(sys.argv[2]) if len(sys.argv) > 2 else 200
RACES = int(sys.argv[3]) if len(sys.argv) > 3 else 50
HEADER = "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\n"


def data(root, name, partners, shift):
    d = os.path.join(root, name)
    os.makedirs(d)
    with open(os.path.join(d, "gmv_daily.csv"), "w") as f:
        f.write(HEADER)
        for p in range(partners):
            f.write(f"2025-07-01,P{p:05},S1,100.00,0,0,0\n")
            f.write(f"2025-10-01,P{p:05},S1,{1000 + p + shift}.00,0,0,0\n")
    return d


def snap(d):
    out = {}
    for base, _, files in os.walk(d):
        for n in files:
            p = os.path.join(base, n)
            with open(p, "rb") as f:
                out[os.path.relpath(p, d)] = f.read()
    return out


def calc(data_dir, out, *extra):
    return subprocess.run([BIN, "calc", data_dir, "--out", out, *extra],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode


root = tempfile.mkdtemp()
old_d, new_d = data(root, "old", 60, 0), data(root, "new", 63, 7)
tmpl = os.path.join(root, "tmpl", "run")
assert calc(old_d, tmpl) == 0
ref = os.path.join(root, "ref", "run")
assert calc(new_d, ref) == 0
OLD, NEW = snap(tmpl), snap(ref)
probe = os.path.join(root, "probe")
os.makedirs(probe)
shutil.copytree(tmpl, os.path.join(probe, "run"))
t0 = time.monotonic()
assert calc(new_d, os.path.join(probe, "run"), "--force") == 0
took = time.monotonic() - t0

outcomes = collections.Counter()
for i in range(KILLS):
    parent = tempfile.mkdtemp(dir=root)
    out = os.path.join(parent, "run")
    shutil.copytree(tmpl, out)
    sig = random.choice([signal.SIGKILL, signal.SIGINT, signal.SIGTERM, signal.SIGHUP])
    child = subprocess.Popen([BIN, "calc", new_d, "--out", out, "--force"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(took * random.uniform(0, 1.1))
    try:
        child.send_signal(sig)
    except ProcessLookupError:
        pass
    code = child.wait()
    now = snap(out)
    state = "old" if now == OLD else "new" if now == NEW else "MIXED"
    leftovers = len(os.listdir(parent)) - 1
    assert calc(old_d, out, "--force") == 0
    clean = os.listdir(parent) == ["run"] and snap(out) == OLD
    outcomes[(signal.Signals(sig).name, code, state, "leftovers" if leftovers else "-",
              "next run clean" if clean else "NOT CLEAN")] += 1
    shutil.rmtree(parent)

races = collections.Counter()
for i in range(RACES):
    parent = tempfile.mkdtemp(dir=root)
    out = os.path.join(parent, "run")
    a = subprocess.Popen([BIN, "calc", old_d, "--out", out], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    b = subprocess.Popen([BIN, "calc", new_d, "--out", out], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE)
    ea, eb = a.communicate()[1], b.communicate()[1]
    ok = subprocess.run([BIN, "verify", out], stdout=subprocess.DEVNULL).returncode == 0
    now = snap(out)
    winner = "old" if now == OLD else "new" if now == NEW else "MIXED"
    how = "locked" if b"being written by another run" in ea + eb else "already a run"
    races[(a.returncode, b.returncode, winner, how, "verify ok" if ok else "VERIFY FAILED")] += 1
    shutil.rmtree(parent)

shutil.rmtree(root)
print(f"replace takes {took:.2f} s here")
for k, v in sorted(outcomes.items()):
    print(v, *k)
for k, v in sorted(races.items()):
    print(v, *k)
