#!/usr/bin/env python3
"""Checks over the Unreal plugin that catch, without Unreal, mistakes that only an Unreal
build would otherwise report (run by scripts/test.d/65-unreal-checks.sh; tests in
scripts/unreal_lint_test.py):

- format strings: the format of Printf/Appendf/UE_LOG/UE_CLOG/UE_LOGFMT/checkf/verifyf/
  ensureMsgf/ensureAlwaysMsgf is a literal TEXT("...") (UE 5.4+ static-asserts it; a
  ternary of two literals is not one);
- reflected headers (UCLASS/USTRUCT/UENUM/UINTERFACE) include "<Name>.generated.h", last;
- macro collisions: no identifier of the engine-free core (folders named TowerCore) is an
  Unreal macro name, and the glue declares or calls no member/function of such a name; the
  names are read from the prelude header the compile check force-includes;
- the .uplugin is valid JSON, EnabledByDefault is true, and its modules match the
  *.Build.cs files (every listed module has Source/<Name>/<Name>.Build.cs declaring
  `class <Name> : ModuleRules`; every non-external Build.cs is listed).

Usage: unreal_lint.py PLUGIN_DIR PRELUDE_H        prints path:line: message, exit 1 if any
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

SOURCE_SUFFIXES = {".h", ".hpp", ".cpp", ".inl"}
FORMAT_ARG = {  # call name -> index of its format argument
    "Printf": 0,
    "Appendf": 0,
    "UE_LOG": 2,
    "UE_LOGFMT": 2,
    "UE_CLOG": 3,
    "checkf": 1,
    "verifyf": 1,
    "ensureMsgf": 1,
    "ensureAlwaysMsgf": 1,
}
REFLECTION = ("UCLASS", "USTRUCT", "UENUM", "UINTERFACE")
# Words after which a macro name is an expression, not a declaration.
EXPRESSION_KEYWORDS = {
    "return", "else", "do", "case", "throw", "co_return", "co_yield", "new", "delete",
    "sizeof", "not", "and", "or", "goto",
}
# Macros written right after a name by design (`Player UMETA(...)`, `int32 RESTRICT* P`).
POSTFIX_MACROS = {
    "UMETA", "UPARAM", "FORCEINLINE", "FORCENOINLINE", "FORCEINLINE_DEBUGGABLE", "RESTRICT",
    "IN", "OUT", "UE_DEPRECATED", "DEPRECATED", "UE_NODISCARD",
}
IDENT = re.compile(r"[A-Za-z_]\w*")


@dataclass(frozen=True, order=True)
class Finding:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def blank_comments_and_strings(src: str, keep_strings: bool = False) -> str:
    """The source with comments (and, unless keep_strings, string and character literal
    contents) replaced by spaces; newlines stay, so offsets and line numbers still match."""
    out = []
    i, n = 0, len(src)
    while i < n:
        c = src[i]
        nxt = src[i + 1] if i + 1 < n else ""
        if c == "/" and nxt == "/":
            j = src.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif c == "/" and nxt == "*":
            j = src.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", src[i:j]))
            i = j
        elif c == "R" and nxt == '"' and (i == 0 or not (src[i - 1].isalnum() or src[i - 1] == "_")):
            m = re.match(r'R"([^(\s]*)\(', src[i:])
            if not m:
                out.append(c)
                i += 1
                continue
            end = src.find(")" + m.group(1) + '"', i)
            j = n if end < 0 else end + len(m.group(1)) + 2
            body = src[i:j]
            out.append(body if keep_strings else 'R"' + re.sub(r"[^\n]", " ", body[2:-1]) + '"')
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and src[j] != c and src[j] != "\n":
                j += 2 if src[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(src[i:j] if keep_strings else c + " " * max(j - i - 2, 0) + (c if j - i >= 2 else ""))
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def line_of(src: str, offset: int) -> int:
    return src.count("\n", 0, offset) + 1


def call_arguments(code: str, open_paren: int) -> list[tuple[int, str]] | None:
    """Top-level arguments (offset, text) of the call whose '(' is at open_paren, in code
    whose comments are blanked (string literals kept); None if unbalanced."""
    depth = 0
    args: list[tuple[int, str]] = []
    start = open_paren + 1
    i = open_paren
    while i < len(code):
        c = code[i]
        if c in "\"'":
            j = i + 1
            while j < len(code) and code[j] != c and code[j] != "\n":
                j += 2 if code[j] == "\\" else 1
            i = j + 1
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append((start, code[start:i]))
                return args
        elif c == "," and depth == 1:
            args.append((start, code[start:i]))
            start = i + 1
        i += 1
    return None


def macro_names(prelude: str) -> set[str]:
    return set(re.findall(r"^\s*#\s*define\s+([A-Za-z_]\w*)", prelude, re.MULTILINE))


def is_core(path: Path) -> bool:
    return "TowerCore" in path.parts


def check_formats(rel: str, src: str) -> list[Finding]:
    code = blank_comments_and_strings(src, keep_strings=True)
    found = []
    for m in re.finditer(r"\b(" + "|".join(FORMAT_ARG) + r")\s*\(", code):
        name = m.group(1)
        # `FString::Printf(` and `Text.Appendf(` are calls; a declaration would be preceded
        # by a type, which we do not write for these names.
        args = call_arguments(code, m.end() - 1)
        index = FORMAT_ARG[name]
        if args is None or len(args) <= index:
            continue
        offset, text = args[index]
        stripped = text.strip()
        if not re.fullmatch(r'TEXT\s*\(\s*"(?:[^"\\\n]|\\.)*"\s*\)(\s*TEXT\s*\(\s*"(?:[^"\\\n]|\\.)*"\s*\))*', stripped):
            found.append(Finding(rel, line_of(src, offset + len(text) - len(text.lstrip())),
                                 f"{name}: the format must be a string literal TEXT(\"...\"), "
                                 f"got `{' '.join(stripped.split())[:60]}`"))
    return found


def check_generated_include(rel: str, path: Path, src: str) -> list[Finding]:
    code = blank_comments_and_strings(src, keep_strings=True)
    if path.suffix != ".h" or not re.search(r"\b(" + "|".join(REFLECTION) + r")\s*\(", code):
        return []
    includes = list(re.finditer(r'^[ \t]*#[ \t]*include[ \t]*[<"]([^>"]+)[>"]', code, re.MULTILINE))
    want = f"{path.stem}.generated.h"
    if not includes or includes[-1].group(1) != want:
        where = line_of(src, includes[-1].start()) if includes else 1
        return [Finding(rel, where, f"a reflected header must include \"{want}\" as its last include")]
    return []


def check_collisions(rel: str, path: Path, src: str, names: set[str]) -> list[Finding]:
    code = blank_comments_and_strings(src)
    found = []
    # Preprocessor lines may name macros on purpose (#ifdef check, #undef max).
    code = re.sub(r"^[ \t]*#.*$", lambda m: " " * len(m.group(0)), code, flags=re.MULTILINE)
    if is_core(path):
        for m in IDENT.finditer(code):
            if m.group(0) in names:
                found.append(Finding(rel, line_of(src, m.start()),
                                     f"`{m.group(0)}` is an Unreal macro name; the engine-free "
                                     "core must not use it (rename it)"))
        return found
    alternatives = "|".join(sorted(names, key=len, reverse=True))
    member = re.compile(r"(?:\.|->|::)\s*(" + alternatives + r")\b")
    declarable = "|".join(sorted(names - POSTFIX_MACROS, key=len, reverse=True))
    declared = re.compile(r"\b([A-Za-z_]\w*)(?:\s*[*&]+\s*|\s+)(" + declarable + r")\s*[(=;,{\[]")
    for m in member.finditer(code):
        found.append(Finding(rel, line_of(src, m.start(1)),
                             f"`{m.group(1)}` is an Unreal macro name; do not use it as a member or "
                             "qualified name"))
    for m in declared.finditer(code):
        before = m.group(1)
        if before in EXPRESSION_KEYWORDS or re.fullmatch(r"[A-Z0-9_]+", before):
            continue
        found.append(Finding(rel, line_of(src, m.start(2)),
                             f"`{m.group(2)}` is an Unreal macro name; do not declare anything with it"))
    return found


def check_uplugin(plugin: Path) -> list[Finding]:
    files = sorted(plugin.glob("*.uplugin"))
    if len(files) != 1:
        return [Finding(str(plugin), 1, f"expected one .uplugin file, found {len(files)}")]
    upl = files[0]
    rel = str(upl)
    try:
        desc = json.loads(upl.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        return [Finding(rel, getattr(e, "lineno", 1), f"not valid JSON: {e}")]
    found = []
    if not isinstance(desc, dict):
        return [Finding(rel, 1, "the descriptor must be a JSON object")]
    if desc.get("EnabledByDefault") is not True:
        found.append(Finding(rel, 1, "EnabledByDefault must be true: a copied project plugin "
                                     "is otherwise neither built nor loaded"))
    modules = desc.get("Modules")
    if not isinstance(modules, list) or not modules:
        return found + [Finding(rel, 1, "Modules must be a non-empty list")]
    listed = set()
    for module in modules:
        name = module.get("Name") if isinstance(module, dict) else None
        if not isinstance(name, str) or not name:
            found.append(Finding(rel, 1, f"a module without a Name: {module!r}"))
            continue
        listed.add(name)
        build = plugin / "Source" / name / f"{name}.Build.cs"
        if not build.is_file():
            found.append(Finding(rel, 1, f"module {name} has no Source/{name}/{name}.Build.cs"))
        elif not re.search(r"\bclass\s+" + re.escape(name) + r"\s*:\s*ModuleRules\b",
                           build.read_text(encoding="utf-8")):
            found.append(Finding(str(build), 1, f"does not declare `class {name} : ModuleRules`"))
    for build in sorted((plugin / "Source").rglob("*.Build.cs")):
        name = build.name[: -len(".Build.cs")]
        text = build.read_text(encoding="utf-8")
        external = re.search(r"Type\s*=\s*ModuleType\.External\b", text)
        if name not in listed and not external:
            found.append(Finding(str(build), 1, f"module {name} is not listed in {upl.name}"))
    return found


def lint(plugin: Path, prelude: Path) -> list[Finding]:
    names = macro_names(prelude.read_text(encoding="utf-8"))
    found = check_uplugin(plugin)
    for path in sorted((plugin / "Source").rglob("*")):
        if path.suffix not in SOURCE_SUFFIXES or "ThirdParty" in path.parts or not path.is_file():
            continue
        src = path.read_text(encoding="utf-8")
        rel = str(path)
        if not is_core(path):
            found += check_formats(rel, src)
            found += check_generated_include(rel, path, src)
        found += check_collisions(rel, path, src, names)
    return sorted(set(found))


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    findings = lint(Path(argv[1]), Path(argv[2]))
    for f in findings:
        print(f)
    print(f"unreal_lint: {len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
