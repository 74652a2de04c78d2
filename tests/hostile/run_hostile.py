#!/usr/bin/env python3
"""Runs the hostile-input cases (made at test time by cases_*.py) against a qcv binary.

Each case runs in its own folder and must: exit with its code; print exactly one stderr line
starting `qcv: error:` that names the offending file or option (exit 0 cases: nothing on stderr
and a correct result); stay under the memory limit (`ulimit -v` on a plain build; ASan's
hard_rss_limit_mb / max_allocation_size_mb on a sanitized one, where a sanitizer report fails the
case); finish in time; write nothing but its expected outputs and leave no temp file.

Cases listed in known_failures.txt are expected to fail; one that passes fails the run, so that
the list shrinks as fixes land.
  run_hostile.py --qcv build/src/cli/qcv --work /tmp/h [--stage core|torch|all] [--sanitized]
"""
import argparse
import concurrent.futures
import fnmatch
import importlib
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
FAMILIES = ["cases_cli", "cases_onnx", "cases_tensors", "cases_idx", "cases_images",
            "cases_shards", "cases_outputs", "cases_config", "cases_rules"]
MEMORY_LIMIT_MB = 3072        # ulimit -v on a plain build
RSS_LIMIT_MB = 2048           # peak resident memory, both builds
SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                   "ERROR: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer")
TEMP_MARKS = (".tmp", "qcv-tmp", ".partial", "~")


def load_cases(fixtures):
    cases = []
    for module in FAMILIES:
        cases += importlib.import_module(module).cases(fixtures)
    ids = [c.id for c in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        sys.exit(f"duplicate case ids: {sorted(duplicates)}")
    return cases


def read_known(path, sanitized):
    """`id reason` per line; an id prefixed `asan:` or `plain:` holds for that build only."""
    known = {}
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if line and not line.startswith("#"):
                case_id, _, reason = line.partition(" ")
                mode, _, bare = case_id.rpartition(":")
                if mode and mode != ("asan" if sanitized else "plain"):
                    continue
                known[bare] = reason.strip()
    return known


def snapshot(root):
    state = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            try:
                st = os.lstat(path)
            except OSError:
                continue
            kind = "d" if os.path.isdir(path) and not os.path.islink(path) else "f"
            state[os.path.relpath(path, root)] = (kind, st.st_size if kind == "f" else 0,
                                                  st.st_mtime_ns if kind == "f" else 0)
    return state


def names_it(line, name):
    """`name` appears in `line` as a whole word or path (the `d` of `underflow` does not count)."""
    return re.search(r"(?<![A-Za-z0-9_])" + re.escape(name) + r"(?![A-Za-z0-9_])", line) is not None


def allowed_cache(rel):
    # The ImageFolder index is a documented cache beside the images or under $XDG_CACHE_HOME.
    return os.path.basename(rel).startswith(".qcv_index") or rel.startswith("home")


class Runner:
    def __init__(self, args):
        self.qcv = os.path.abspath(args.qcv)
        self.sanitized = args.sanitized
        self.timeout = args.timeout or (30 if args.sanitized else 15)

    def limit(self, case):
        """Seconds before a case counts as a hang (ASan runs about twice as slow)."""
        return case.timeout * (2 if self.sanitized else 1) if case.timeout else self.timeout

    def env(self, case, folder):
        env = dict(os.environ)
        env.update({"HOME": os.path.join(folder, "home"),
                    "XDG_CACHE_HOME": os.path.join(folder, "home", ".cache"),
                    "OMP_NUM_THREADS": "1", "QCV_FASHION_MNIST_DIR": os.path.join(folder, "none")})
        if self.sanitized:
            # ulimit -v cannot hold ASan's shadow memory: bound allocations and RSS instead. An
            # allocation above the ceiling throws std::bad_alloc as it would under ulimit -v.
            env["ASAN_OPTIONS"] = ":".join([
                "detect_leaks=1", f"hard_rss_limit_mb={RSS_LIMIT_MB}",
                f"max_allocation_size_mb={RSS_LIMIT_MB}", "allocator_may_return_null=1",
                "abort_on_error=0", "exitcode=86"])
            env["UBSAN_OPTIONS"] = "print_stacktrace=1:halt_on_error=1:exitcode=87"
        env.update(case.env)
        return env

    def limits(self):
        os.setsid()
        if not self.sanitized:
            limit = MEMORY_LIMIT_MB << 20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    def launch(self, case, folder, argv):
        out = open(os.path.join(folder, "..", os.path.basename(folder) + ".stdout"), "w+")
        err = open(os.path.join(folder, "..", os.path.basename(folder) + ".stderr"), "w+")
        start = time.time()
        proc = subprocess.Popen(argv, cwd=folder, env=self.env(case, folder), stdout=out,
                                stderr=err, stdin=subprocess.DEVNULL, preexec_fn=self.limits)
        timed_out = []

        def kill():
            timed_out.append(True)
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(self.limit(case), kill)
        timer.start()
        signalled = None
        if case.signal_on_temp:
            signalled = self.signal_when_temp_appears(proc, folder, case.signal_on_temp)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        timer.cancel()
        out.seek(0)
        err.seek(0)
        text = err.read()
        if signalled is False:  # the case tests nothing if the signal never came
            text += "\nhostile runner: no temp file seen before the command ended"
        result = (proc.returncode, out.read(), text, usage.ru_maxrss // 1024,
                  time.time() - start, bool(timed_out))
        out.close()
        err.close()
        return result

    @staticmethod
    def signal_when_temp_appears(proc, folder, signum):
        """Sends `signum` once a temp file shows in out/; False if the command ended first."""
        out = os.path.join(folder, "out")
        while True:
            try:
                with open(f"/proc/{proc.pid}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        return False
            except OSError:
                return False
            names = os.listdir(out) if os.path.isdir(out) else []
            if any(m in n for n in names for m in TEMP_MARKS):
                os.kill(proc.pid, signum)
                return True
            time.sleep(0.002)

    def run(self, case, work):
        folder = os.path.join(work, case.id.replace("/", "__"))
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(os.path.join(folder, "out"))
        os.makedirs(os.path.join(folder, "home"))
        case.setup(folder)
        before = snapshot(folder)
        rc, out, err, rss_mb, seconds, timed_out = self.launch(case, folder, [self.qcv] + case.args)
        allowed = case.rc if isinstance(case.rc, tuple) else (case.rc,)
        after = snapshot(folder)
        problems = []
        if timed_out:
            problems.append(f"hang: killed after {self.limit(case):.0f} s")
        elif rc < 0 and rc not in allowed:
            problems.append(f"crash: signal {-rc}")
        elif rc not in allowed:
            problems.append(f"exit {rc}, expected {' or '.join(map(str, allowed))}")
        if "hostile runner: no temp file seen" in err:
            problems.append("no temp file seen before the command ended: nothing was tested")
        if any(mark in err for mark in SANITIZER_MARKS) or (self.sanitized and rc in (86, 87)):
            problems.append("sanitizer report")
        if rss_mb > RSS_LIMIT_MB:
            problems.append(f"peak RSS {rss_mb} MB > {RSS_LIMIT_MB} MB")
        # Documented warnings (a skipped image) may come first; then one error line.
        # ASan's note that an allocation over max_allocation_size_mb failed is what ulimit -v
        # does silently on a plain build: the refusal that follows is judged the same way.
        lines = [l for l in err.splitlines() if not l.startswith(("qcv: warning:", "qcv: note:"))
                 and not (l.startswith("==") and "WARNING: AddressSanitizer failed to allocate" in l)]
        if rc != 0 and not timed_out and not case.signal_on_temp:
            if len(lines) != 1 or not lines[0].startswith("qcv: error:"):
                problems.append(f"stderr is {len(lines)} lines, not one 'qcv: error:' line")
            if case.names and lines and not any(names_it(lines[0], n) for n in case.names):
                problems.append(f"error does not name {' or '.join(case.names)}")
        changed = sorted(p for p in after if before.get(p) != after[p] and after[p][0] == "f")
        temps = [p for p in changed if any(m in os.path.basename(p) for m in TEMP_MARKS)]
        if temps:
            problems.append(f"temp file left: {temps[0]}")
        expected = case.outputs if rc == 0 or case.signal_on_temp else []
        stray = [p for p in changed if p not in temps and not allowed_cache(p) and
                 not any(fnmatch.fnmatch(p, g) for g in expected)]
        if stray:
            problems.append(f"wrote {stray[0]}" + (f" (+{len(stray) - 1})" if len(stray) > 1 else ""))
        if case.check and not problems and rc == 0:
            try:
                message = case.check(folder, out)
            except Exception as e:  # a check that cannot read the output is a failure
                message = f"check raised {type(e).__name__}: {e}"
            if message:
                problems.append(message)
        first = lines[0][:160] if lines else ""
        return case, problems, seconds, rss_mb, first


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--qcv", required=True)
    parser.add_argument("--work", required=True, help="scratch folder (emptied first)")
    parser.add_argument("--stage", default="all", choices=["core", "torch", "all"])
    parser.add_argument("--sanitized", action="store_true", help="qcv built with ASan/UBSan")
    parser.add_argument("--known", default=os.path.join(HERE, "known_failures.txt"))
    parser.add_argument("--only", default="*", help="globs over case ids, comma-separated")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1))
    parser.add_argument("--timeout", type=float, default=0, help="seconds per case")
    parser.add_argument("--list", action="store_true", help="print the case ids and exit")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()

    work = os.path.abspath(args.work)
    shutil.rmtree(work, ignore_errors=True)
    fixtures = os.path.join(work, "fixtures")
    os.makedirs(fixtures)
    helptext = subprocess.run([args.qcv, "--help"], capture_output=True, text=True).stdout
    commands = {line.split()[0] for line in helptext.splitlines() if line.startswith("  ")}
    all_cases = load_cases(fixtures)
    if args.list:
        for c in all_cases:
            print(f"{c.id:50s} {c.owner:9s} {c.stage:6s} qcv {' '.join(c.args)}")
        return 0
    stages = {"core", "torch"} if args.stage == "all" else {args.stage}
    only = args.only.split(",")
    cases = [c for c in all_cases if c.stage in stages and any(fnmatch.fnmatch(c.id, g) for g in only)]
    skipped = [c for c in cases if c.args and c.args[0] not in commands and
               not c.args[0].startswith("-") and c.stage == "core" and
               c.args[0] in ("run", "bench", "eval", "classify", "ptq", "shards")]
    cases = [c for c in cases if c not in skipped]
    known = read_known(args.known, args.sanitized)
    unknown = sorted(set(known) - {c.id for c in all_cases})
    runner = Runner(args)
    cases_dir = os.path.join(work, "cases")
    os.makedirs(cases_dir)
    start = time.time()
    failed, fixed, expected_failures = [], [], []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for case, problems, seconds, rss, first in pool.map(lambda c: runner.run(c, cases_dir), cases):
            status = "FAIL" if problems else "ok"
            if case.id in known:
                status = "xfail" if problems else "XPASS"
            if status == "FAIL":
                failed.append((case, problems, first))
            elif status == "XPASS":
                fixed.append(case)
            elif status == "xfail":
                expected_failures.append(case)
            if args.verbose or status in ("FAIL", "XPASS"):
                detail = "; ".join(problems) if problems else first
                print(f"{status:5s} {case.id} [{case.owner}] {seconds:.1f}s {rss}MB  {detail}")
    print(f"\n{len(cases)} cases ({', '.join(sorted(stages))}) in {time.time() - start:.0f} s: "
          f"{len(cases) - len(failed) - len(fixed) - len(expected_failures)} passed, "
          f"{len(expected_failures)} known failures, {len(failed)} failed, "
          f"{len(fixed)} known failures now pass" +
          (f", {len(skipped)} skipped (command not built)" if skipped else ""))
    for case, problems, first in failed:
        print(f"  FAILED {case.id} [{case.owner}]: {'; '.join(problems)}  | {first}")
    for case in fixed:
        print(f"  NOW PASSES (remove it from {os.path.basename(args.known)}): {case.id}")
    for case_id in unknown:
        print(f"  {os.path.basename(args.known)} names no case {case_id}")
    return 1 if failed or fixed or unknown else 0


if __name__ == "__main__":
    sys.exit(main())
