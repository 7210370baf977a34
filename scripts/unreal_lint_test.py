#!/usr/bin/env python3
"""Unit tests of scripts/unreal_lint.py: a clean sample plugin passes, and each kind of
mistake, planted in a copy, is reported. Run: python3 scripts/unreal_lint_test.py"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import unreal_lint  # noqa: E402

PRELUDE = """
#define check(expr) ((void)(expr))
#define verify(expr) ((void)(expr))
#define checkf(expr, format, ...) ((void)(expr))
#define ensure(expr) (!!(expr))
#define TEXT(x) u##x
#define UE_LOG(category, verbosity, format, ...) ((void)0)
#define PI (3.14f)
#define min(a, b) ((a) < (b) ? (a) : (b))
#define UMETA(...)
"""

GOOD = {
    "Demo.uplugin": json.dumps({
        "FileVersion": 3, "EnabledByDefault": True,
        "Modules": [{"Name": "Demo", "Type": "Runtime", "LoadingPhase": "Default"}],
    }),
    "Source/Demo/Demo.Build.cs": "public class Demo : ModuleRules { }",
    "Source/ThirdParty/Lib/Lib.Build.cs": "public class Lib : ModuleRules { Type = ModuleType.External; }",
    "Source/Demo/Public/DemoActor.h": (
        '#pragma once\n#include "CoreMinimal.h"\n// UCLASS() in a comment\n'
        '#include "DemoActor.generated.h"\n\nUCLASS()\nclass ADemoActor : public AActor\n'
        '{\n\tGENERATED_BODY()\n};\n'),
    "Source/Demo/Public/Plain.h": '#pragma once\n#include "CoreMinimal.h"\nstruct FPlain { int32 X; };\n',
    "Source/Demo/Public/DemoKinds.h": (
        '#pragma once\n#include "CoreMinimal.h"\n#include "DemoKinds.generated.h"\n'
        'UENUM(BlueprintType)\nenum class EDemoKind : uint8\n{\n\tPlayer UMETA(DisplayName = "Player"),\n'
        '\tMonster = 1 UMETA(DisplayName = "Monster"),\n};\n'),
    "Source/Demo/Private/DemoActor.cpp": (
        '#include "DemoActor.h"\n'
        'void ADemoActor::Tick()\n{\n'
        '\tcheck(Owner != nullptr);\n'
        '\tif (!ensure(Ready)) { return; }\n'
        '\tconst FString A = FString::Printf(TEXT("%s:%d"), *Host, Port);\n'
        '\tconst FString B = FString::Printf(\n\t\tTEXT("[%s]:%d")\n\t\tTEXT(" more"), *Host, Port);\n'
        '\tUE_LOG(LogDemo, Warning, TEXT("a, (b) \\"c\\" %s"), *A);\n'
        '\tcheckf(A.Len() > 0, TEXT("empty %s"), *B);\n'
        '\tconst float Angle = PI * 2.0f;\n'
        '\t// FString::Printf(Format) in a comment is fine\n'
        '}\n'),
    "Source/Demo/Public/TowerCore/Core.h": (
        '#pragma once\nnamespace tower {\n// verify(x) in a comment is fine\n'
        'int verify_hash(int a, int b);\nconst char* name() { return "check(min)"; }\n}\n'),
}


class LintTest(unittest.TestCase):
    def setUp(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="unreal-lint-"))
        for rel, text in GOOD.items():
            path = self.dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        self.prelude = self.dir / "prelude.h"
        self.prelude.write_text(PRELUDE, encoding="utf-8")

    def tearDown(self) -> None:
        shutil.rmtree(self.dir)

    def findings(self) -> list[str]:
        return [str(f) for f in unreal_lint.lint(self.dir, self.prelude)]

    def plant(self, rel: str, text: str) -> None:
        path = self.dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")

    def assert_one(self, needle: str, where: str) -> None:
        found = self.findings()
        self.assertEqual(len(found), 1, found)
        self.assertIn(needle, found[0])
        self.assertIn(where, found[0])

    def test_the_clean_sample_passes(self) -> None:
        self.assertEqual(self.findings(), [])

    def test_a_ternary_printf_format_is_reported(self) -> None:
        self.plant("Source/Demo/Private/Bad.cpp",
                   'FString F()\n{\n\treturn FString::Printf(bIpv6 ? TEXT("[%s]:%d") : TEXT("%s:%d"), *H, P);\n}\n')
        self.assert_one("Printf: the format must be a string literal", "Bad.cpp:3")

    def test_a_variable_ue_log_format_is_reported(self) -> None:
        self.plant("Source/Demo/Private/Bad.cpp",
                   'void F()\n{\n\tUE_LOG(LogDemo, Log,\n\t\tFormat, 1);\n}\n')
        self.assert_one("UE_LOG: the format must be a string literal", "Bad.cpp:4")

    def test_a_checkf_without_text_is_reported(self) -> None:
        self.plant("Source/Demo/Private/Bad.cpp", 'void F() { checkf(x, "plain %d", 1); }\n')
        self.assert_one("checkf", "Bad.cpp:1")

    def test_generated_include_not_last_is_reported(self) -> None:
        self.plant("Source/Demo/Public/DemoActor.h",
                   '#pragma once\n#include "DemoActor.generated.h"\n#include "Other.h"\n'
                   'UCLASS()\nclass ADemoActor {};\n')
        self.assert_one('must include "DemoActor.generated.h" as its last include', "DemoActor.h:3")

    def test_generated_include_missing_is_reported(self) -> None:
        self.plant("Source/Demo/Public/Kinds.h", '#pragma once\n#include "CoreMinimal.h"\nUENUM()\nenum class EK : uint8 { A };\n')
        self.assert_one('"Kinds.generated.h"', "Kinds.h:2")

    def test_a_core_method_named_like_a_macro_is_reported(self) -> None:
        self.plant("Source/Demo/Public/TowerCore/Floor.h",
                   '#pragma once\nstruct Floor {\n  static int verify(int seed, int floor);\n};\n')
        self.assert_one("`verify` is an Unreal macro name; the engine-free core", "Floor.h:3")

    def test_std_min_in_the_core_is_reported(self) -> None:
        self.plant("Source/Demo/Private/TowerCore/Math.cpp",
                   '#include <algorithm>\nint f(int a, int b) { return std::min(a, b); }\n')
        self.assert_one("`min`", "Math.cpp:2")

    def test_glue_declaring_or_calling_a_macro_named_member_is_reported(self) -> None:
        self.plant("Source/Demo/Private/Glue.cpp",
                   'bool UThing::check(int X) { return X > 0; }\nvoid G() { Floor.verify(1); }\n')
        found = self.findings()
        self.assertEqual(len(found), 2, found)
        self.assertTrue(any("Glue.cpp:1" in f and "`check`" in f for f in found), found)
        self.assertTrue(any("Glue.cpp:2" in f and "`verify`" in f for f in found), found)

    def test_glue_declaring_a_variable_named_pi_is_reported(self) -> None:
        self.plant("Source/Demo/Private/Glue.cpp", 'void G() { float PI = 3.0f; }\n')
        self.assert_one("`PI`", "Glue.cpp:1")

    def test_invalid_json_is_reported(self) -> None:
        self.plant("Demo.uplugin", '{ "FileVersion": 3, "EnabledByDefault": true, }')
        self.assert_one("not valid JSON", "Demo.uplugin")

    def test_disabled_by_default_is_reported(self) -> None:
        desc = json.loads(GOOD["Demo.uplugin"])
        desc["EnabledByDefault"] = False
        self.plant("Demo.uplugin", json.dumps(desc))
        self.assert_one("EnabledByDefault must be true", "Demo.uplugin")

    def test_a_module_without_build_cs_is_reported(self) -> None:
        desc = json.loads(GOOD["Demo.uplugin"])
        desc["Modules"].append({"Name": "DemoEditor", "Type": "Editor"})
        self.plant("Demo.uplugin", json.dumps(desc))
        self.assert_one("module DemoEditor has no Source/DemoEditor/DemoEditor.Build.cs", "Demo.uplugin")

    def test_a_build_cs_with_another_class_name_is_reported(self) -> None:
        self.plant("Source/Demo/Demo.Build.cs", "public class DemoGame : ModuleRules { }")
        self.assert_one("does not declare `class Demo : ModuleRules`", "Demo.Build.cs")

    def test_an_unlisted_module_is_reported(self) -> None:
        self.plant("Source/Extra/Extra.Build.cs", "public class Extra : ModuleRules { }")
        self.assert_one("module Extra is not listed", "Extra.Build.cs")


if __name__ == "__main__":
    unittest.main(verbosity=1)
