#!/usr/bin/env python3
"""Docs as tests: run the commands README.md and docs/*.md tell a user to run, as written.

    python3 scripts/docs_test.py [DOC.md ...]     (default: README.md, then docs/*.md)

MARKING A BLOCK. An HTML comment on the line just before a fenced shell block (```sh,
```bash or ```shell; it may be indented inside a list item) says what to do with it:

    <!-- docs-test: run [timeout=SECONDS] [prints="REGEX"] -->
        Run it in the doc's terminal; it must exit 0 within the timeout (default 300 s) and,
        with prints, its output must match (what the doc says the reader will see).
    <!-- docs-test: background ready="REGEX" [timeout=SECONDS] [stop-prints="REGEX"] -->
        A long-running command the reader starts in a terminal of its own (a server). It is
        started with the doc's environment and directory, and the doc goes on once its output
        matches ready (within the timeout, default 600 s: it may build first). It is stopped
        with Ctrl-C (SIGINT to its process group) at the next `stop` comment or at the end of
        the doc, must then exit 0 within 60 s and, with stop-prints, have printed a match.
    <!-- docs-test: syntax needs=WHAT -->
        Only `bash -n`: the block needs something this machine does not have or must not do
        (WHAT: unreal, kubernetes, docker, public-host, macos, sdk-server, suite, ...).
    <!-- docs-test: stop -->
        (no block) Ctrl-C every background command of the doc still running, newest first.

Untagged shell blocks are syntax-checked only (and counted as such). Indented code blocks
are never run: they show synopses and output.

HOW IT RUNS. scripts/test.d/52-docs.sh runs this, as root, in a network namespace of its own
(a private loopback: the README's fixed ports cannot collide with anything on the machine).
Each doc with something to run gets a fresh copy of the repository's tracked
files (the working tree's content, modification times kept) in a new directory, with
`target/` a link to this repository's target/ so nothing is rebuilt. One bash per doc plays
the reader's terminal (`set -e -o pipefail`): blocks run in order, each sees the directory and
every variable earlier blocks left (stdin is /dev/null). Nothing else is passed in: the
environment holds only HOME, PATH, USER, LOGNAME, SHELL, LANG, TERM, TMPDIR and the build
settings scripts/test.sh exports for every stage (CARGO_INCREMENTAL, CARGO_PROFILE_*_DEBUG,
which change no command's behaviour, only what cargo caches). A failing block fails the doc;
its later blocks are skipped and the remaining docs still run. At the end of a doc every
background command is stopped, the doc's shell and what it left running are killed, and a
native Nakama stack it started (a directory of the copy with a stack.env) is stopped.

CLAIMS CHECKED WITHOUT RUNNING (every doc): the protocol version a doc names
(`PROTOCOL_VERSION = N`, "wire protocol, version N", "speaks version N") against
protocol/src/lib.rs, the floor generator version ("currently N") against procgen; every
`--flag` given to tower-server, tower-bots or tower-floor in a code block or inline code
against that binary's `--help` (tower-floor: the subcommand's); every repository path named
in inline code or a relative link exists (paths git ignores, i.e. build outputs, are skipped).

The binaries for --help are target/release/tower-{server,bots,floor}; build them first
(scripts/test.d/52-docs.sh does).
"""

from __future__ import annotations

import dataclasses
import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHELL_LANGS = {"sh", "bash", "shell"}
TAG = re.compile(r"^\s*<!--\s*docs-test:\s*(?P<body>.*?)\s*-->\s*$")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+)\s*(?P<lang>[\w+-]*)\s*$")
KINDS = {"run", "background", "syntax", "stop"}
PASSED_ENV = ["HOME", "PATH", "USER", "LOGNAME", "SHELL", "LANG", "TERM", "TMPDIR",
              "CARGO_HOME", "RUSTUP_HOME"]
BUILD_ENV = ["CARGO_INCREMENTAL", "CARGO_PROFILE_DEV_DEBUG", "CARGO_PROFILE_RELEASE_DEBUG"]
BINARIES = ["tower-server", "tower-bots", "tower-floor"]


@dataclasses.dataclass
class Block:
    doc: Path
    line: int  # 1-based line of the opening fence
    kind: str  # run, background, syntax, stop, untagged
    opts: dict
    text: str

    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT)}:{self.line}"

    def headline(self) -> str:
        first = next((l.strip() for l in self.text.splitlines() if l.strip()), "")
        return first if len(first) <= 90 else first[:87] + "..."


class DocError(Exception):
    pass


def parse_tag(body: str, where: str) -> tuple[str, dict]:
    try:
        words = shlex.split(body)
    except ValueError as e:
        raise DocError(f"{where}: unreadable docs-test tag ({e})") from e
    if not words or words[0] not in KINDS:
        raise DocError(f"{where}: docs-test tag must start with one of {sorted(KINDS)}: {body!r}")
    opts = {}
    for w in words[1:]:
        if "=" not in w:
            raise DocError(f"{where}: docs-test option {w!r} is not key=value")
        k, v = w.split("=", 1)
        opts[k] = v
    kind = words[0]
    allowed = {"run": {"timeout", "prints"}, "background": {"ready", "timeout", "stop-prints"},
               "syntax": {"needs"}, "stop": set()}[kind]
    if set(opts) - allowed:
        raise DocError(f"{where}: {kind} takes {sorted(allowed)}, not {sorted(set(opts) - allowed)}")
    if kind == "background" and "ready" not in opts:
        raise DocError(f"{where}: a background block needs ready=\"REGEX\"")
    if kind == "syntax" and "needs" not in opts:
        raise DocError(f"{where}: a syntax-only block says why: needs=unreal|kubernetes|...")
    return kind, opts


def blocks_of(doc: Path) -> list[Block]:
    """Every fenced shell block and every stop marker, in order."""
    lines = doc.read_text(encoding="utf-8").splitlines()
    out: list[Block] = []
    pending = None  # (kind, opts, line) of a tag waiting for its block
    i = 0
    while i < len(lines):
        m = TAG.match(lines[i])
        if m:
            if pending:
                raise DocError(f"{doc.relative_to(ROOT)}:{pending[2]}: docs-test tag without a block")
            kind, opts = parse_tag(m["body"], f"{doc.relative_to(ROOT)}:{i + 1}")
            if kind == "stop":
                out.append(Block(doc, i + 1, "stop", opts, ""))
            else:
                pending = (kind, opts, i + 1)
            i += 1
            continue
        f = FENCE.match(lines[i])
        if f:
            start = i
            indent = len(f["indent"])
            body = []
            i += 1
            while i < len(lines) and not re.match(r"^\s*" + f["fence"] + r"\s*$", lines[i]):
                body.append(lines[i][indent:] if lines[i][:indent].strip() == "" else lines[i])
                i += 1
            i += 1
            lang = f["lang"].lower()
            if pending:
                if lang not in SHELL_LANGS:
                    raise DocError(f"{doc.relative_to(ROOT)}:{start + 1}: a docs-test tag marks a "
                                   f"```{lang} block; only sh/bash/shell blocks are run")
                out.append(Block(doc, start + 1, pending[0], pending[1], "\n".join(body) + "\n"))
                pending = None
            elif lang in SHELL_LANGS:
                out.append(Block(doc, start + 1, "untagged", {}, "\n".join(body) + "\n"))
            continue
        if pending and lines[i].strip():
            raise DocError(f"{doc.relative_to(ROOT)}:{pending[2]}: docs-test tag not followed by a fenced block")
        i += 1
    if pending:
        raise DocError(f"{doc.relative_to(ROOT)}:{pending[2]}: docs-test tag at the end of the file")
    return out


# ---------------------------------------------------------------- running a doc


def fresh_copy() -> Path:
    """The tracked files of the working tree in a new directory, target/ linked."""
    dest = Path(tempfile.mkdtemp(prefix="tower-docs-"))
    # PostgreSQL runs as `postgres` when the stack is started as root: it must reach the copy.
    dest.chmod(0o755)
    files = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True,
                           capture_output=True).stdout.split(b"\0")
    present = b"\0".join(f for f in files if f and os.path.lexists(ROOT / os.fsdecode(f)))
    tar = subprocess.run(["tar", "--null", "-T", "-", "-cf", "-"], cwd=ROOT, input=present,
                         capture_output=True, check=True).stdout
    subprocess.run(["tar", "-xpf", "-"], cwd=dest, input=tar, check=True)
    (dest / "target").symlink_to(ROOT / "target")
    return dest


def base_env() -> dict:
    env = {k: os.environ[k] for k in PASSED_ENV + BUILD_ENV if k in os.environ}
    env.setdefault("TERM", "dumb")
    env.setdefault("LANG", "C.UTF-8")
    return env


class Background:
    def __init__(self, block: Block, env: dict, cwd: str, logdir: Path, n: int):
        self.block = block
        self.log = logdir / f"bg{n}.log"
        script = logdir / f"bg{n}.sh"
        script.write_text(block.text)
        self.proc = subprocess.Popen(
            ["bash", "--noprofile", "--norc", "-e", "-o", "pipefail", str(script)],
            cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT, start_new_session=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> None:
        ready = re.compile(self.block.opts["ready"])
        deadline = time.monotonic() + float(self.block.opts.get("timeout", 600))
        while time.monotonic() < deadline:
            if ready.search(self.output()):
                return
            if self.proc.poll() is not None:
                raise DocError(f"exited ({self.proc.returncode}) before printing /{ready.pattern}/")
            time.sleep(0.2)
        raise DocError(f"did not print /{ready.pattern}/ within {self.block.opts.get('timeout', 600)} s")

    def stop(self) -> None:
        """Ctrl-C, as in its terminal: SIGINT to its process group."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGINT)
            except ProcessLookupError:
                pass
        try:
            code = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.kill()
            raise DocError("still running 60 s after Ctrl-C (killed)")
        if code != 0:
            raise DocError(f"exited {code} after Ctrl-C")
        want = self.block.opts.get("stop-prints")
        if want and not re.search(want, self.output()):
            raise DocError(f"did not print /{want}/ when stopped")

    def kill(self) -> None:
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def tail(text: str, n: int = 25) -> str:
    return "\n".join("      | " + l for l in text.rstrip().splitlines()[-n:])


def run_doc(doc: Path, blocks: list[Block], counts: dict) -> list[str]:
    """Runs the doc's run/background blocks in a fresh copy; returns failures."""
    copy = fresh_copy()
    logdir = Path(tempfile.mkdtemp(prefix="tower-docs-log-"))
    env = base_env()
    shell = subprocess.Popen(
        ["bash", "--noprofile", "--norc"], cwd=copy, env=env, stdin=subprocess.PIPE,
        stdout=(logdir / "shell.log").open("wb"), stderr=subprocess.STDOUT,
        start_new_session=True, text=True)
    assert shell.stdin is not None
    shell.stdin.write("set -e -o pipefail\n")
    shell.stdin.flush()
    backgrounds: list[Background] = []
    failures: list[str] = []
    state_env, state_cwd = dict(env), str(copy)

    def stop_all() -> None:
        while backgrounds:
            bg = backgrounds.pop()
            t = time.monotonic()
            try:
                bg.stop()
                print(f"  stopped  {bg.block.where()} with Ctrl-C ({time.monotonic() - t:.1f} s)")
            except DocError as e:
                raise DocError(f"{bg.block.where()} `{bg.block.headline()}`: {e}\n{tail(bg.output())}")

    try:
        for n, b in enumerate(blocks):
            if b.kind == "stop":
                stop_all()
                continue
            if b.kind not in ("run", "background"):
                continue
            t = time.monotonic()
            if b.kind == "background":
                bg = Background(b, state_env, state_cwd, logdir, n)
                backgrounds.append(bg)
                try:
                    bg.wait_ready()
                except DocError as e:
                    raise DocError(f"{b.where()} `{b.headline()}`: {e}\n{tail(bg.output())}")
                counts["background"] += 1
                print(f"  started  {b.where()} `{b.headline()}` ready in {time.monotonic() - t:.1f} s")
                continue
            script, out, done = (logdir / f"b{n}.sh", logdir / f"b{n}.out", logdir / f"b{n}.done")
            script.write_text(b.text)
            shell.stdin.write(
                f"{{ source {shlex.quote(str(script))}; }} </dev/null >{shlex.quote(str(out))} 2>&1\n"
                f"env -0 >{shlex.quote(str(done))}.env; pwd >{shlex.quote(str(done))}.cwd; "
                f": >{shlex.quote(str(done))}\n")
            shell.stdin.flush()
            limit = float(b.opts.get("timeout", 300))
            deadline = t + limit
            while not done.exists():
                if shell.poll() is not None:
                    text = out.read_text(errors="replace") if out.exists() else ""
                    raise DocError(f"{b.where()} `{b.headline()}` failed (exit {shell.returncode})\n{tail(text)}")
                if time.monotonic() > deadline:
                    text = out.read_text(errors="replace") if out.exists() else ""
                    raise DocError(f"{b.where()} `{b.headline()}` still running after {limit:.0f} s\n{tail(text)}")
                time.sleep(0.1)
            want = b.opts.get("prints")
            text = out.read_text(errors="replace")
            if want and not re.search(want, text):
                raise DocError(f"{b.where()} `{b.headline()}` did not print /{want}/\n{tail(text)}")
            raw = Path(f"{done}.env").read_bytes().split(b"\0")
            state_env = dict(kv.decode(errors="replace").split("=", 1) for kv in raw if b"=" in kv)
            state_cwd = Path(f"{done}.cwd").read_text().strip()
            counts["run"] += 1
            print(f"  ran      {b.where()} `{b.headline()}` ({time.monotonic() - t:.1f} s)")
        stop_all()
    except DocError as e:
        failures.append(str(e))
    finally:
        for bg in backgrounds:
            bg.kill()
        if shell.poll() is None:
            shell.stdin.close()
            try:
                shell.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(shell.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        shell.wait()
        # A native Nakama stack the doc started (its daemons leave the shell's process group).
        for env_file in copy.glob("**/stack.env"):
            subprocess.run([str(copy / "scripts/nakama-stack.sh"), "stop", str(env_file.parent)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120)
        if failures:
            print(f"  (copy kept: {copy}; logs: {logdir})")
        else:
            shutil.rmtree(copy, ignore_errors=True)
            shutil.rmtree(logdir, ignore_errors=True)
    return failures


def syntax_check(b: Block) -> str | None:
    r = subprocess.run(["bash", "-n"], input=b.text, capture_output=True, text=True)
    if r.returncode != 0:
        return f"{b.where()} `{b.headline()}`: bash -n: {r.stderr.strip()}"
    return None


# ---------------------------------------------------------------- claims


def code_texts(doc: Path) -> list[tuple[int, str]]:
    """(line, text) of every code block (fenced or indented) and inline code span."""
    text = doc.read_text(encoding="utf-8")
    out = []
    in_fence = None
    fence_start, fence_body = 0, []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        f = FENCE.match(line)
        if in_fence is None and f:
            in_fence, fence_start, fence_body = f["fence"], i + 1, []
            continue
        if in_fence is not None:
            if re.match(r"^\s*" + in_fence + r"\s*$", line):
                out.append((fence_start, "\n".join(fence_body)))
                in_fence = None
            else:
                fence_body.append(line)
            continue
        if line.startswith("    ") and line.strip() and (i == 0 or not lines[i - 1].strip()
                                                          or lines[i - 1].startswith("    ")):
            out.append((i + 1, line.strip()))
    # Inline spans may wrap over a line break; fenced blocks were taken above.
    prose = re.sub(r"^\s*```.*?^\s*```", lambda m: "\n" * m.group(0).count("\n"), text,
                   flags=re.S | re.M)
    for m in re.finditer(r"(?<!`)`([^`]+?)`(?!`)", prose, flags=re.S):
        out.append((prose.count("\n", 0, m.start()) + 1, m.group(1).replace("\n", " ")))
    return out


def help_flags() -> dict:
    """{binary or 'tower-floor SUB': set of --flags its help lists}."""
    flags = {}

    def of(args):
        r = subprocess.run(args + ["--help"], capture_output=True, text=True)
        if r.returncode != 0:
            raise DocError(f"`{' '.join(args)} --help` failed: {r.stderr.strip()}")
        return set(re.findall(r"--[a-z0-9][a-z0-9-]*", r.stdout))

    for name in BINARIES:
        exe = ROOT / "target/release" / name
        if not exe.exists():
            raise DocError(f"{exe} is missing: build it first (cargo build --release -p {name})")
        flags[name] = of([str(exe)])
    for sub in SUBCOMMANDS:
        flags[f"tower-floor {sub}"] = of([str(ROOT / "target/release/tower-floor"), sub])
    return flags


SUBCOMMANDS = ("gen", "hash", "verify", "bench")


def invocations(command: str):
    """(binary, its arguments) for each tower binary a shell command line runs: the binary
    itself (`tower-floor ...`, `target/release/tower-bots ...`) or `cargo run ... -p NAME
    ... -- ARGS` (not `--example`/`--bin`: those run something else)."""
    for part in re.split(r"\s\|\s|&&|\|\||;|\s#|^#", command):
        words = part.replace("[", " ").replace("]", " ").replace("`", " ").split()
        for i, w in enumerate(words):
            name = w.rsplit("/", 1)[-1]
            if name in BINARIES and (i == 0 or words[i - 1] not in ("-p", "--package", "--bin")):
                if i == 0 or "=" in words[i - 1] or words[i - 1] in ("time", "-v", "exec") \
                        or w.startswith(("target/", "./", "/")):
                    yield name, words[i + 1:]
                    break
            if w == "run" and i > 0 and words[i - 1] == "cargo":
                rest = words[i + 1:]
                if "--" not in rest or "--example" in rest[:rest.index("--")]:
                    break
                cargo_args = rest[:rest.index("--")]
                pkg = next((cargo_args[j + 1] for j, a in enumerate(cargo_args[:-1])
                            if a in ("-p", "--package")), None)
                if pkg in BINARIES:
                    yield pkg, rest[rest.index("--") + 1:]
                break


def check_flags(doc: Path, helps: dict) -> tuple[int, list[str]]:
    checked, bad = 0, []
    for line, text in code_texts(doc):
        text = text.replace("\\\n", " ")
        for cmd_line in text.splitlines():
            for name, args in invocations(cmd_line.strip()):
                key = name
                if name == "tower-floor":
                    sub = next((a for a in args if not a.startswith("-")), None)
                    if sub in SUBCOMMANDS:
                        key = f"tower-floor {sub}"
                for a in args:
                    flag = re.match(r"--[a-z0-9][a-z0-9-]*", a)
                    if not flag:
                        continue
                    checked += 1
                    if flag.group(0) not in helps[key]:
                        bad.append(f"{doc.relative_to(ROOT)}:{line}: `{key}` has no flag "
                                   f"{flag.group(0)} (see `{key} --help`)")
    return checked, bad


def check_versions(doc: Path) -> tuple[int, list[str]]:
    proto = int(re.search(r"pub const PROTOCOL_VERSION: u32 = (\d+);",
                          (ROOT / "protocol/src/lib.rs").read_text())[1])
    gen = int(re.search(r"pub const GENERATOR_VERSION: u32 = (\d+);",
                        (ROOT / "procgen/src/lib.rs").read_text())[1])
    claims = [
        (r"PROTOCOL_VERSION = (\d+)", proto, "protocol version"),
        (r"wire protocol, version (\d+)", proto, "protocol version"),
        (r"speaks version (\d+)", proto, "protocol version"),
        (r"generator version, u32 \(currently (\d+)\)", gen, "generator version"),
    ]
    text = doc.read_text(encoding="utf-8")
    checked, bad = 0, []
    for pattern, truth, what in claims:
        for m in re.finditer(pattern, text):
            checked += 1
            if int(m[1]) != truth:
                line = text.count("\n", 0, m.start()) + 1
                bad.append(f"{doc.relative_to(ROOT)}:{line}: says {what} {m[1]}, the code has {truth}")
    return checked, bad


def top_level() -> set:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True,
                           text=True).stdout.split()
    return {f.split("/", 1)[0] for f in files if "/" in f}


PATHLIKE = re.compile(r"^(?:\./)?[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.*-]+)*/?$")


def check_paths(doc: Path, tops: set) -> tuple[int, list[str]]:
    text = doc.read_text(encoding="utf-8")
    candidates = []
    for line, span in code_texts(doc):
        if "\n" in span or " " in span.strip():
            continue
        candidates.append((line, re.sub(r"(:\d+(-\d+)?|#[\w-]+)$", "", span.strip()), ROOT))
    for m in re.finditer(r"\]\(([^)\s]+)\)", text):
        target = m[1]
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue
        line = text.count("\n", 0, m.start()) + 1
        candidates.append((line, target.split("#", 1)[0], doc.parent))
    checked, bad = 0, []
    for line, path, base in candidates:
        if not path or not PATHLIKE.match(path) or "/" not in path.rstrip("/"):
            continue
        # A file (with an extension), a directory (trailing slash) or a deeper path; two bare
        # words (`agones/agones`, a Helm chart) name other things too often.
        last = path.rstrip("/").rsplit("/", 1)[-1]
        if not (path.endswith("/") or "." in last or path.count("/") >= 2 or base != ROOT):
            continue
        if base == ROOT and path.lstrip("./").split("/", 1)[0] not in tops:
            continue
        full = (base / path).resolve()
        rel = os.path.relpath(full, ROOT)
        if rel.startswith(".."):
            continue
        ignored = subprocess.run(["git", "check-ignore", "-q", "--no-index", rel], cwd=ROOT).returncode == 0
        if ignored:
            continue
        checked += 1
        if not glob.glob(str(full)):
            bad.append(f"{doc.relative_to(ROOT)}:{line}: names {path}, which does not exist")
    return checked, bad


# ---------------------------------------------------------------- main


class Stopped(Exception):
    pass


def on_signal(signum, _frame):
    """SIGTERM (a timeout), SIGHUP, Ctrl-C: unwind, so every doc's `finally` stops what it
    started (servers, the doc's shell, a Nakama stack) instead of leaving them running."""
    raise Stopped(f"stopped by signal {signum}")


def main(argv: list[str]) -> int:
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, on_signal)
    started = time.monotonic()
    docs = [ROOT / a for a in argv] if argv else [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    counts = {"run": 0, "background": 0, "syntax": 0, "untagged": 0,
              "versions": 0, "flags": 0, "paths": 0}
    failures: list[str] = []
    try:
        helps = help_flags()
    except DocError as e:
        print(f"docs-test: {e}", file=sys.stderr)
        return 1
    tops = top_level()
    try:
        run_docs(docs, helps, tops, counts, failures)
    except Stopped as e:
        failures.append(str(e))
    print()
    return report(counts, failures, started)


def run_docs(docs, helps, tops, counts, failures) -> None:
    for doc in docs:
        rel = doc.relative_to(ROOT)
        try:
            blocks = blocks_of(doc)
        except DocError as e:
            failures.append(str(e))
            continue
        for b in blocks:
            if b.kind in ("syntax", "untagged", "run", "background"):
                err = syntax_check(b)
                if err:
                    failures.append(err)
            if b.kind in ("syntax", "untagged"):
                counts[b.kind] += 1
        for what, check in (("versions", lambda d: check_versions(d)),
                            ("flags", lambda d: check_flags(d, helps)),
                            ("paths", lambda d: check_paths(d, tops))):
            n, bad = check(doc)
            counts[what] += n
            failures.extend(bad)
        if any(b.kind in ("run", "background") for b in blocks):
            print(f"== {rel}")
            t = time.monotonic()
            errs = run_doc(doc, blocks, counts)
            for e in errs:
                print(f"  FAILED   {e}")
            failures.extend(errs)
            print(f"== {rel}: {'FAILED' if errs else 'ok'} ({time.monotonic() - t:.0f} s)")


def report(counts, failures, started) -> int:
    for f in failures:
        print(f"docs-test: FAILED {f}")
    claims = counts["versions"] + counts["flags"] + counts["paths"]
    print(f"docs-test: {counts['run'] + counts['background']} blocks run ({counts['run']} to "
          f"completion, {counts['background']} in the background), "
          f"{counts['syntax'] + counts['untagged']} syntax-checked ({counts['syntax']} tagged, "
          f"{counts['untagged']} untagged), {claims} claims checked ({counts['versions']} versions, "
          f"{counts['flags']} CLI flags, {counts['paths']} paths); {len(failures)} failed; "
          f"{time.monotonic() - started:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
