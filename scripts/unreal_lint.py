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
- the .uplugin is valid JSON, EnabledByDefault is true, DocsURL and SupportURL are set,
  its modules match the *.Build.cs files (every listed module has
  Source/<Name>/<Name>.Build.cs declaring `class <Name> : ModuleRules`; every non-external
  Build.cs is listed), every engine plugin a Build.cs depends on is in its "Plugins", and
  the plugin has Resources/Icon128.png (a 128x128 PNG) and Config/FilterPlugin.ini;
- parameters named like a member: a parameter of a member function (static ones and
  UFUNCTIONs included) or of its out-of-class definition must not have the name of a data
  member of its class or of a base class (MSVC C4457/C4458 is an error under Unreal; gcc
  and clang do not warn for static functions or declarations, and UnrealHeaderTool only
  lets the UFUNCTION case through by an exception its own source calls unsound). Bases are
  the plugin's own classes and the engine classes of the stand-in headers (--standin);
- AddDynamic/RemoveDynamic bind only functions declared UFUNCTION() (Unreal checks that at
  run time, when the delegate silently stays unbound);
- a Cancel() override of a UCancellableAsyncAction subclass starts with
  `if (HasAnyFlags(RF_BeginDestroyed)) { Super::Cancel(); return; }`: the engine's
  UCancellableAsyncAction::BeginDestroy() calls Cancel() during garbage collection, when the
  matchmaker, subsystem or Nakama objects the override would call may be unreachable and
  destroyed in the same pass;
- `#if`/`#elif` test only identifiers that are always defined (Unreal's build macros,
  the Build.cs definitions) or through `defined(X)` (UE 5.7's BuildSettingsVersion.V6
  makes MSVC C4668 an error); and when the C header (--ffi-header) does test an undefined
  identifier (tower.h's `__STDC_VERSION__`), the plugin includes it only through
  TowerFfiHeader.h, which silences C4668, and the module's private PCH includes that
  wrapper so it comes first in every source file.

Usage: unreal_lint.py PLUGIN_DIR PRELUDE_H [--standin DIR] [--ffi-header tower.h]
prints path:line: message, exit 1 if any
"""

from __future__ import annotations

import json
import re
import struct
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
FFI_WRAPPER = "TowerFfiHeader.h"
# Engine plugins that provide a module a Build.cs may depend on: module -> plugin name.
PLUGIN_MODULES = {
    "EnhancedInput": "EnhancedInput",
    "ProceduralMeshComponent": "ProceduralMeshComponent",
    "NakamaUnreal": "Nakama",
    "NakamaBlueprints": "Nakama",
}
# Identifiers every Unreal compile defines (0 or 1), so a bare `#if X` is fine.
ALWAYS_DEFINED = {
    "WITH_EDITOR", "WITH_EDITORONLY_DATA", "WITH_ENGINE", "WITH_DEV_AUTOMATION_TESTS",
    "WITH_PERF_AUTOMATION_TESTS", "WITH_SERVER_CODE", "UE_BUILD_DEBUG", "UE_BUILD_DEVELOPMENT",
    "UE_BUILD_TEST", "UE_BUILD_SHIPPING", "UE_GAME", "UE_EDITOR", "UE_SERVER", "IS_MONOLITHIC",
    "IS_PROGRAM", "PLATFORM_WINDOWS", "PLATFORM_MAC", "PLATFORM_LINUX", "PLATFORM_LINUXARM64",
    "PLATFORM_ANDROID", "PLATFORM_IOS", "PLATFORM_APPLE", "PLATFORM_UNIX", "PLATFORM_64BITS",
    "PLATFORM_CPU_X86_FAMILY", "PLATFORM_CPU_ARM_FAMILY", "PLATFORM_DESKTOP",
    "ENGINE_MAJOR_VERSION", "ENGINE_MINOR_VERSION", "ENGINE_PATCH_VERSION", "DO_CHECK",
    "DO_GUARD_SLOW", "STATS", "__cplusplus", "true", "false",
}


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
    found += check_plugin_extras(plugin, desc, rel)
    for build in sorted((plugin / "Source").rglob("*.Build.cs")):
        name = build.name[: -len(".Build.cs")]
        text = build.read_text(encoding="utf-8")
        external = re.search(r"Type\s*=\s*ModuleType\.External\b", text)
        if name not in listed and not external:
            found.append(Finding(str(build), 1, f"module {name} is not listed in {upl.name}"))
    return found



# ---- Classes: data members, member functions and their parameters -------------------

REFLECTION_MARKUP = re.compile(
    r"\b(?:UPROPERTY|UFUNCTION|UPARAM|UMETA|GENERATED_BODY|GENERATED_UCLASS_BODY|GENERATED_USTRUCT_BODY|"
    r"STANDIN_UCLASS|UE_DEPRECATED)\s*\(")
CLASS_HEAD = re.compile(
    r"\b(class|struct)\s+(?:[A-Z0-9_]+_API\s+)?([A-Za-z_]\w*)\s*(?:final\s*)?(:[^;{()]*)?\{")
NOT_DECLARATIONS = ("using ", "typedef ", "friend ", "enum ", "class ", "struct ", "static_assert", "template",
                    "DECLARE_", "return ", "#")


@dataclass
class ClassInfo:
    name: str
    bases: list[str]
    members: dict[str, int]  # data member -> offset in its file
    # (function name, static?, UFUNCTION?, [(parameter, offset)])
    functions: list[tuple[str, bool, bool, list[tuple[str, int]]]]
    path: str
    src: str


def matching(code: str, open_at: int, pair: str = "{}") -> int:
    """Offset of the bracket closing the one at open_at (len(code) when unbalanced)."""
    depth = 0
    for i in range(open_at, len(code)):
        if code[i] == pair[0]:
            depth += 1
        elif code[i] == pair[1]:
            depth -= 1
            if depth == 0:
                return i
    return len(code)


def strip_markup(code: str) -> str:
    """Reflection macros and their arguments blanked, offsets kept."""
    out = list(code)
    for m in REFLECTION_MARKUP.finditer(code):
        end = matching(code, m.end() - 1, "()")
        for i in range(m.start(), min(end + 1, len(code))):
            if out[i] != "\n":
                out[i] = " "
    return "".join(out)


def split_top_level(text: str, start: int) -> list[tuple[int, str]]:
    """Comma-separated pieces of text (offsets from start), ignoring nested brackets."""
    pieces, depth, begin = [], 0, 0
    for i, c in enumerate(text):
        if c in "([{<":
            depth += 1
        elif c in ")]}>":
            depth -= 1
        elif c == "," and depth == 0:
            pieces.append((start + begin, text[begin:i]))
            begin = i + 1
    pieces.append((start + begin, text[begin:]))
    return [(o, t) for o, t in pieces if t.strip()]


def parameter_names(params: str, start: int) -> list[tuple[str, int]]:
    names = []
    for offset, piece in split_top_level(params, start):
        decl = piece.split("=", 1)[0]
        decl = re.sub(r"\[[^\]]*\]\s*$", "", decl.rstrip())
        m = re.search(r"([A-Za-z_]\w*)\s*$", decl)
        # A lone type (`int32`, `const FString&`) has no name; `void` is not a parameter.
        if m and len(IDENT.findall(decl)) >= 2 and not re.search(r"[&*]\s*$", decl.rstrip()):
            names.append((m.group(1), offset + m.start(1)))
    return names


def parse_classes(path: str, src: str) -> list[ClassInfo]:
    code = strip_markup(blank_comments_and_strings(src))
    code = re.sub(r"^[ \t]*#.*$", lambda m: " " * len(m.group(0)), code, flags=re.MULTILINE)
    raw = blank_comments_and_strings(src)
    classes = []
    for head in CLASS_HEAD.finditer(code):
        open_at = head.end() - 1
        close_at = matching(code, open_at)
        bases = IDENT.findall(head.group(3) or "")
        bases = [b for b in bases if b not in ("public", "protected", "private", "virtual")]
        info = ClassInfo(head.group(2), bases, {}, [], path, src)
        body_start = open_at + 1
        i = body_start
        statement_start = i
        while i < close_at:
            c = code[i]
            if c == "{":
                end = matching(code, i)
                stmt = code[statement_start:i]
                if "(" in stmt or re.search(r"\b(class|struct|enum|union|namespace)\b", stmt):
                    # A function body, a nested type or a lambda: the declaration ends here.
                    parse_member(info, stmt, statement_start, raw, ended_by_body=True)
                    i = end + 1
                    if i < close_at and code[i] == ";":
                        i += 1
                    statement_start = i
                    continue
                i = end + 1  # brace initialiser: part of this statement
                continue
            if c == ";":
                parse_member(info, code[statement_start:i], statement_start, raw, ended_by_body=False)
                statement_start = i + 1
            elif c == ":" and re.search(r"\b(public|protected|private)\s*$", code[statement_start:i]):
                statement_start = i + 1
            i += 1
        classes.append(info)
    return classes


def parse_member(info: ClassInfo, stmt: str, offset: int, raw: str, ended_by_body: bool) -> None:
    text = stmt.strip()
    if not text:
        return
    lead = len(stmt) - len(stmt.lstrip())
    offset += lead
    stmt = stmt[lead:]
    if text.startswith(NOT_DECLARATIONS) or re.match(r"(class|struct|enum|union)\b", text):
        return
    if text.startswith(info.name + "(") or text.startswith("~") or re.match(r"(virtual\s+)?~", text):
        return  # constructors and destructors
    paren = stmt.find("(")
    if paren >= 0:
        before = stmt[:paren]
        m = re.search(r"(operator\s*\S+|[A-Za-z_]\w*)\s*$", before)
        if not m or m.group(1) in ("decltype", "alignas", "sizeof", "noexcept"):
            return
        if re.search(r"=\s*$", before) or "=" in before:
            return  # a data member initialised with a call
        close = matching(stmt, paren, "()")
        params = parameter_names(stmt[paren + 1:close], offset + paren + 1)
        is_static = re.search(r"\bstatic\b", before) is not None
        is_ufunction = re.search(r"\bUFUNCTION\s*\(\s*[^()]*(\([^()]*\)[^()]*)*\)\s*$",
                                 raw[max(0, offset - 400):offset]) is not None
        info.functions.append((m.group(1), is_static, is_ufunction, params))
        return
    if ended_by_body:
        return
    decl = re.split(r"=|\{", stmt, maxsplit=1)[0]
    decl = re.sub(r":\s*\d+\s*$", "", decl.rstrip())  # bit field width
    decl = re.sub(r"\[[^\]]*\]\s*$", "", decl.rstrip())
    m = re.search(r"([A-Za-z_]\w*)\s*$", decl)
    if m and len(IDENT.findall(decl)) >= 2 and m.group(1) not in ("override", "const", "final", "default"):
        info.members[m.group(1)] = offset + m.start(1)


def inherited_members(cls: ClassInfo, index: dict[str, ClassInfo], seen: set[str] | None = None) -> dict[str, str]:
    """Data member -> the class declaring it, for cls and all its known bases."""
    seen = seen or set()
    found = {name: cls.name for name in cls.members}
    for base in cls.bases:
        if base in index and base not in seen:
            seen.add(base)
            for name, owner in inherited_members(index[base], index, seen).items():
                found.setdefault(name, owner)
    return found


def check_parameter_shadowing(glue: list[ClassInfo], index: dict[str, ClassInfo],
                              sources: dict[str, str]) -> list[Finding]:
    found = []
    for cls in glue:
        members = inherited_members(cls, index)
        for name, is_static, is_ufunction, params in cls.functions:
            for param, offset in params:
                if param in members:
                    kind = "static " if is_static else ""
                    kind += "UFUNCTION " if is_ufunction else ""
                    found.append(Finding(cls.path, line_of(cls.src, offset),
                                         f"parameter `{param}` of {kind}{cls.name}::{name} has the name of the member "
                                         f"{members[param]}::{param} (MSVC C4457/C4458 under Unreal); rename one"))
    # Out-of-class definitions: `Ret UClass::Method(params)` in .cpp files.
    definition = re.compile(r"\b([A-Z][A-Za-z0-9_]*)::([A-Za-z_]\w*)\s*\(")
    for path, src in sources.items():
        code = blank_comments_and_strings(src)
        for m in definition.finditer(code):
            cls = index.get(m.group(1))
            if cls is None or cls.path.endswith(".h") is False:
                continue
            close = matching(code, m.end() - 1, "()")
            after = code[close + 1:close + 200]
            if not re.match(r"\s*(const\s*)?(override\s*)?(\{|:)", after):
                continue  # a call, not a definition
            members = inherited_members(cls, index)
            for param, offset in parameter_names(code[m.end():close], m.end()):
                if param in members:
                    found.append(Finding(path, line_of(src, offset),
                                         f"parameter `{param}` of {cls.name}::{m.group(2)} has the name of the member "
                                         f"{members[param]}::{param} (MSVC C4457/C4458 under Unreal); rename one"))
    return found


def check_dynamic_bindings(index: dict[str, ClassInfo], sources: dict[str, str]) -> list[Finding]:
    found = []
    bind = re.compile(r"\.\s*(AddDynamic|AddUniqueDynamic|RemoveDynamic)\s*\([^,]*,\s*&\s*([A-Za-z_]\w*)::([A-Za-z_]\w*)\s*\)")
    for path, src in sources.items():
        code = blank_comments_and_strings(src)
        for m in bind.finditer(code):
            cls = index.get(m.group(2))
            if cls is None:
                continue
            marked = [f for f in cls.functions if f[0] == m.group(3)]
            if marked and not any(f[2] for f in marked):
                found.append(Finding(path, line_of(src, m.start(3)),
                                     f"{m.group(1)} binds {cls.name}::{m.group(3)}, which is not declared UFUNCTION(): "
                                     "the binding would silently do nothing at run time"))
    return found


CANCEL_GUARD = re.compile(r"\{\s*if\s*\(\s*HasAnyFlags\s*\([^()]*\bRF_BeginDestroyed\b[^()]*\)\s*\)\s*\{")


def derives_from(cls: ClassInfo, base: str, index: dict[str, ClassInfo], seen: set[str] | None = None) -> bool:
    seen = seen if seen is not None else set()
    for parent in cls.bases:
        if parent == base:
            return True
        if parent in index and parent not in seen:
            seen.add(parent)
            if derives_from(index[parent], base, index, seen):
                return True
    return False


def check_cancel_overrides(glue: list[ClassInfo], index: dict[str, ClassInfo],
                           sources: dict[str, str]) -> list[Finding]:
    """Every Cancel() body of a glue UCancellableAsyncAction subclass, in its header or a
    .cpp, must open with the RF_BeginDestroyed early return (Super::Cancel(); return;)."""
    found = []
    for cls in glue:
        if not derives_from(cls, "UCancellableAsyncAction", index):
            continue
        bodies = []  # (path, src, offset of the body's '{')
        inline = re.compile(r"\bCancel\s*\(\s*\)\s*(?:override\s*|final\s*)*\{")
        head = blank_comments_and_strings(cls.src)
        for m in inline.finditer(head):
            bodies.append((cls.path, cls.src, m.end() - 1))
        outside = re.compile(r"\b" + re.escape(cls.name) + r"::Cancel\s*\(\s*\)\s*\{")
        for path, src in sources.items():
            code = blank_comments_and_strings(src)
            for m in outside.finditer(code):
                bodies.append((path, src, m.end() - 1))
        for path, src, brace in bodies:
            code = blank_comments_and_strings(src)
            guard = CANCEL_GUARD.match(code, brace)
            ok = False
            if guard is not None:
                block = code[guard.end() - 1:matching(code, guard.end() - 1) + 1]
                ok = re.search(r"\bSuper::Cancel\s*\(\s*\)", block) is not None and \
                    re.search(r"\breturn\b", block) is not None
            if not ok:
                found.append(Finding(path, line_of(src, brace),
                                     f"{cls.name}::Cancel must start with `if (HasAnyFlags(RF_BeginDestroyed)) "
                                     "{ Super::Cancel(); return; }`: UCancellableAsyncAction::BeginDestroy calls "
                                     "Cancel during garbage collection, when the objects it would call may be "
                                     "unreachable and destroyed in the same pass"))
    return found


# ---- Preprocessor conditions ---------------------------------------------------------

def undefined_in_conditions(src: str, known: set[str]) -> list[tuple[int, str]]:
    """(offset, identifier) for every identifier an #if/#elif tests without defined()."""
    code = blank_comments_and_strings(src, keep_strings=False)
    out = []
    defined_here = set(re.findall(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)", code, re.MULTILINE))
    for m in re.finditer(r"^[ \t]*#[ \t]*(if|elif)\b(.*)$", code, re.MULTILINE):
        expr = m.group(2)
        expr_at = m.start(2)
        # `defined(X) && X ...` is the guarded form: X counts as tested for definition.
        guarded = set(re.findall(r"\bdefined\s*\(\s*(\w+)\s*\)|\bdefined\s+(\w+)", expr))
        guarded = {a or b for a, b in guarded}
        # Drop defined(X) / defined X and __has_include(...) style operators.
        scrubbed = re.sub(r"\bdefined\s*\(\s*\w+\s*\)|\bdefined\s+\w+", lambda d: " " * len(d.group(0)), expr)
        scrubbed = re.sub(r"\b__has_\w+\s*\([^)]*\)", lambda d: " " * len(d.group(0)), scrubbed)
        for ident in IDENT.finditer(scrubbed):
            word = ident.group(0)
            if re.match(r"\d", word) or word in known or word in defined_here or word in guarded:
                continue
            if re.search(r"\d[\w]*$", scrubbed[:ident.start()]) and scrubbed[ident.start() - 1].isdigit():
                continue  # a literal suffix, like 202311L
            out.append((expr_at + ident.start(), word))
    return out


def build_definitions(plugin: Path) -> set[str]:
    names = set()
    for build in (plugin / "Source").rglob("*.Build.cs"):
        text = build.read_text(encoding="utf-8")
        names.update(re.findall(r"(?:Public|Private)Definitions\.Add\(\s*\"([A-Za-z_]\w*)=", text))
    return names


def check_conditions(rel: str, src: str, known: set[str]) -> list[Finding]:
    return [Finding(rel, line_of(src, offset),
                    f"`#if` tests `{word}`, which may be undefined (MSVC C4668, an error from UE 5.7's "
                    f"BuildSettingsVersion.V6): write `defined({word}) && ...` or define it in the Build.cs")
            for offset, word in undefined_in_conditions(src, known)]


def check_ffi_header_includes(plugin: Path, ffi_header: Path, sources: dict[str, str]) -> list[Finding]:
    bare = undefined_in_conditions(ffi_header.read_text(encoding="utf-8"), {"__cplusplus"})
    if not bare:
        return []
    words = ", ".join(sorted({w for _, w in bare}))
    found = []
    name = ffi_header.name
    wrapper_path = None
    for path, src in sources.items():
        code = blank_comments_and_strings(src, keep_strings=True)
        if Path(path).name == FFI_WRAPPER:
            wrapper_path = path
            continue
        for m in re.finditer(r'^[ \t]*#[ \t]*include[ \t]*[<"]' + re.escape(name) + r'[>"]', code, re.MULTILINE):
            found.append(Finding(path, line_of(src, m.start()),
                                 f"includes {name} directly, whose #if lines test {words} bare (MSVC C4668): "
                                 f"include {FFI_WRAPPER} instead"))
    if wrapper_path is None:
        found.append(Finding(str(plugin), 1, f"no {FFI_WRAPPER}: {name} tests {words} bare in #if lines (MSVC C4668)"))
    for build in (plugin / "Source").rglob("*.Build.cs"):
        text = build.read_text(encoding="utf-8")
        if re.search(r"Type\s*=\s*ModuleType\.External\b", text):
            continue
        pch = re.search(r'PrivatePCHHeaderFile\s*=\s*"([^"]+)"', text)
        pch_path = build.parent / pch.group(1) if pch else None
        if pch_path is None or not pch_path.is_file() or not re.search(
                r'#\s*include\s*"' + re.escape(FFI_WRAPPER) + '"', pch_path.read_text(encoding="utf-8")):
            found.append(Finding(str(build), 1, f"the module's PrivatePCHHeaderFile must include {FFI_WRAPPER}, so "
                                                f"{name} is first seen through it in every source file"))
    return found


# ---- Plugin descriptor extras --------------------------------------------------------

def png_size(path: Path) -> tuple[int, int] | None:
    data = path.read_bytes()[:32]
    if len(data) < 24 or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    return struct.unpack(">II", data[16:24])


def check_plugin_extras(plugin: Path, desc: dict, rel: str) -> list[Finding]:
    found = []
    for key in ("DocsURL", "SupportURL"):
        value = desc.get(key)
        if not isinstance(value, str) or not re.match(r"https?://\S+$", value):
            found.append(Finding(rel, 1, f"{key} must be an http(s) address (the plugin browser links it)"))
    listed = {p.get("Name") for p in desc.get("Plugins", []) if isinstance(p, dict)}
    for build in sorted((plugin / "Source").rglob("*.Build.cs")):
        text = build.read_text(encoding="utf-8")
        for module, owner in PLUGIN_MODULES.items():
            if re.search(r'"' + module + r'"', text) and owner not in listed:
                found.append(Finding(str(build), 1, f"depends on module {module} of plugin {owner}, which "
                                                    f"{Path(rel).name} does not list under \"Plugins\""))
    icon = plugin / "Resources" / "Icon128.png"
    if not icon.is_file():
        found.append(Finding(str(plugin), 1, "no Resources/Icon128.png (the plugin browser shows a blank tile)"))
    elif png_size(icon) != (128, 128):
        found.append(Finding(str(icon), 1, f"must be a 128x128 PNG, found {png_size(icon)}"))
    if not (plugin / "Config" / "FilterPlugin.ini").is_file():
        found.append(Finding(str(plugin), 1, "no Config/FilterPlugin.ini (packaging a project drops the plugin's "
                                             "non-code files)"))
    return found

def lint(plugin: Path, prelude: Path, standin: Path | None = None, ffi_header: Path | None = None) -> list[Finding]:
    names = macro_names(prelude.read_text(encoding="utf-8"))
    found = check_uplugin(plugin)
    sources: dict[str, str] = {}
    for path in sorted((plugin / "Source").rglob("*")):
        if path.suffix not in SOURCE_SUFFIXES or "ThirdParty" in path.parts or not path.is_file():
            continue
        sources[str(path)] = path.read_text(encoding="utf-8")
    known = ALWAYS_DEFINED | build_definitions(plugin)
    glue_classes: list[ClassInfo] = []
    glue_sources: dict[str, str] = {}
    for rel, src in sources.items():
        path = Path(rel)
        if not is_core(path):
            found += check_formats(rel, src)
            found += check_generated_include(rel, path, src)
            glue_sources[rel] = src
            if path.suffix == ".h":
                glue_classes += parse_classes(rel, src)
        found += check_collisions(rel, path, src, names)
        found += check_conditions(rel, src, known)
    index: dict[str, ClassInfo] = {}
    if standin is not None:
        for header in sorted(standin.rglob("*.h")):
            for cls in parse_classes(str(header), header.read_text(encoding="utf-8")):
                index.setdefault(cls.name, cls)
    for cls in glue_classes:
        index[cls.name] = cls
    found += check_parameter_shadowing(glue_classes, index,
                                       {r: s for r, s in glue_sources.items() if r.endswith(".cpp")})
    found += check_dynamic_bindings(index, glue_sources)
    found += check_cancel_overrides(glue_classes, index,
                                    {r: s for r, s in glue_sources.items() if r.endswith(".cpp")})
    if ffi_header is not None:
        found += check_ffi_header_includes(plugin, ffi_header, sources)
    return sorted(set(found))


def main(argv: list[str]) -> int:
    args = argv[1:]
    options: dict[str, Path] = {}
    for flag in ("--standin", "--ffi-header"):
        if flag in args:
            at = args.index(flag)
            if at + 1 >= len(args):
                print(__doc__.strip().splitlines()[-2], file=sys.stderr)
                return 2
            options[flag] = Path(args[at + 1])
            del args[at:at + 2]
    if len(args) != 2:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    findings = lint(Path(args[0]), Path(args[1]), options.get("--standin"), options.get("--ffi-header"))
    for f in findings:
        print(f)
    print(f"unreal_lint: {len(findings)} finding(s)", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
