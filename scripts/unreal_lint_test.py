#!/usr/bin/env python3
"""Unit tests of scripts/unreal_lint.py: a clean sample plugin passes, and each kind of
mistake, planted in a copy, is reported. Run: python3 scripts/unreal_lint_test.py"""

from __future__ import annotations

import json
import shutil
import struct
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

# A C header like tower.h: its #if tests __STDC_VERSION__ bare.
FFI_HEADER = "#pragma once\n#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L\n#endif\nint tower_x(void);\n"

# Engine classes as the stand-in headers declare them.
STANDIN = (
    "class UObject { public: virtual ~UObject(); };\n"
    "class AActor : public UObject\n{\n    STANDIN_UCLASS(AActor, UObject);\n    TArray<FName> Tags;\n"
    "private:\n    TObjectPtr<AActor> Owner;\n};\n"
    "class APawn : public AActor\n{\n    STANDIN_UCLASS(APawn, AActor);\n    TObjectPtr<AController> Controller;\n"
    "    AController* GetController() const;\n};\n"
    "class UCancellableAsyncAction : public UObject\n{\n    STANDIN_UCLASS(UCancellableAsyncAction, UObject);\n"
    "    virtual void BeginDestroy() override;\n    virtual void Cancel();\n};\n")

# A cancellable async action of the plugin, and its Cancel body.
ACTION_H = (
    '#pragma once\n#include "Engine/CancellableAsyncAction.h"\n#include "DemoAction.generated.h"\n\n'
    'UCLASS()\nclass UDemoAction : public UCancellableAsyncAction\n{\n\tGENERATED_BODY()\n\npublic:\n'
    '\tvirtual void Cancel() override;\n};\n')
GUARDED_CANCEL = (
    'void UDemoAction::Cancel()\n{\n\t// the GC runs this too\n\tif (HasAnyFlags(RF_BeginDestroyed))\n\t{\n'
    '\t\tSuper::Cancel();\n\t\treturn;\n\t}\n\tTarget->Stop();\n\tSuper::Cancel();\n}\n')


def png_header(width: int, height: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + struct.pack(">II", width, height) + b"\x08\x06\x00\x00\x00"


GOOD = {
    "Demo.uplugin": json.dumps({
        "FileVersion": 3, "EnabledByDefault": True,
        "DocsURL": "https://example.invalid/docs", "SupportURL": "https://example.invalid/issues",
        "Modules": [{"Name": "Demo", "Type": "Runtime", "LoadingPhase": "Default"}],
        "Plugins": [{"Name": "EnhancedInput", "Enabled": True}],
    }),
    "Config/FilterPlugin.ini": "[FilterPlugin]\n/Resources/Icon128.png\n",
    "Source/Demo/Demo.Build.cs": (
        'public class Demo : ModuleRules { PrivatePCHHeaderFile = "Private/DemoPCH.h"; '
        'PrivateDependencyModuleNames.Add("EnhancedInput"); PrivateDefinitions.Add("WITH_DEMO_EXTRAS=1"); }'),
    "Source/Demo/Private/DemoPCH.h": '#pragma once\n#include "CoreMinimal.h"\n#include "TowerFfiHeader.h"\n',
    "Source/Demo/Public/TowerFfiHeader.h": (
        '#pragma once\n#if defined(_MSC_VER)\n#pragma warning(disable : 4668)\n#endif\n#include "tower.h"\n'),
    "Source/Demo/Public/DemoPawn.h": (
        '#pragma once\n#include "GameFramework/Pawn.h"\n#include "DemoPawn.generated.h"\n\n'
        'UCLASS()\nclass ADemoPawn : public APawn\n{\n\tGENERATED_BODY()\n\npublic:\n'
        '\tUFUNCTION(BlueprintCallable, meta = (WorldContext = "WorldContextObject"))\n'
        '\tstatic ADemoPawn* Make(UObject* WorldContextObject, int32 Speed);\n'
        '\tvoid Aim(const FVector& Target, bool bFast = false) const;\n'
        '\tint32 Count() const { return Hits; }\n\n'
        'private:\n\tUFUNCTION()\n\tvoid HandleHit(int32 Damage);\n\n'
        '\tvoid Plain(int32 Damage);\n\n'
        '\tUPROPERTY(EditAnywhere)\n\tint32 Hits = 0;\n\tint32 SpeedCmPerS{600};\n\tuint8 bReady : 1;\n};\n'),
    "Source/Demo/Private/DemoPawn.cpp": (
        '#include "DemoPawn.h"\n#include "TowerFfiHeader.h"\n'
        'ADemoPawn* ADemoPawn::Make(UObject* WorldContextObject, int32 Speed)\n{\n'
        '\tADemoPawn* Pawn = NewObject<ADemoPawn>();\n\tPawn->SpeedCmPerS = Speed;\n\treturn Pawn;\n}\n'
        'void ADemoPawn::HandleHit(int32 Damage)\n{\n\tHits += Damage;\n'
        '\tOnHit.AddDynamic(this, &ADemoPawn::HandleHit);\n}\n'
        '#if WITH_EDITOR && WITH_DEMO_EXTRAS\n#endif\n#if defined(__STDC_VERSION__) && __STDC_VERSION__ > 1\n#endif\n'),
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
        (self.dir / "Resources").mkdir()
        (self.dir / "Resources" / "Icon128.png").write_bytes(png_header(128, 128))
        self.prelude = self.dir / "prelude.h"
        self.prelude.write_text(PRELUDE, encoding="utf-8")
        self.ffi = self.dir / "tower.h"
        self.ffi.write_text(FFI_HEADER, encoding="utf-8")
        self.standin = self.dir / "standin"
        self.standin.mkdir()
        (self.standin / "Engine.h").write_text(STANDIN, encoding="utf-8")

    def tearDown(self) -> None:
        shutil.rmtree(self.dir)

    def findings(self) -> list[str]:
        return [str(f) for f in unreal_lint.lint(self.dir, self.prelude, self.standin, self.ffi)]

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
        self.plant("Source/Demo/Demo.Build.cs",
                   GOOD["Source/Demo/Demo.Build.cs"].replace("class Demo :", "class DemoGame :"))
        self.assert_one("does not declare `class Demo : ModuleRules`", "Demo.Build.cs")

    def test_an_unlisted_module_is_reported(self) -> None:
        self.plant("Source/Extra/Extra.Build.cs",
                   'public class Extra : ModuleRules { PrivatePCHHeaderFile = "../Demo/Private/DemoPCH.h"; }')
        self.assert_one("module Extra is not listed", "Extra.Build.cs")

    # ---- parameters named like members (MSVC C4457/C4458)

    def test_a_static_ufunction_parameter_named_like_a_member_is_reported(self) -> None:
        # UTowerLoginAction::TowerLogin(..., DeviceId) with a DeviceId member: gcc and clang
        # say nothing about static functions, MSVC does.
        header = GOOD["Source/Demo/Public/DemoPawn.h"].replace("int32 Speed);", "int32 Hits);")
        self.plant("Source/Demo/Public/DemoPawn.h", header)
        self.assert_one("parameter `Hits` of static UFUNCTION ADemoPawn::Make has the name of the member "
                        "ADemoPawn::Hits", "DemoPawn.h:12")

    def test_a_declared_parameter_named_like_a_member_is_reported(self) -> None:
        header = GOOD["Source/Demo/Public/DemoPawn.h"].replace("void Plain(int32 Damage);", "void Plain(int32 bReady);")
        self.plant("Source/Demo/Public/DemoPawn.h", header)
        self.assert_one("parameter `bReady` of ADemoPawn::Plain has the name of the member ADemoPawn::bReady",
                        "DemoPawn.h:20")

    def test_a_parameter_named_like_an_engine_base_member_is_reported(self) -> None:
        # Private members count too: AActor::Owner is private, MSVC still reports hiding it.
        header = GOOD["Source/Demo/Public/DemoPawn.h"].replace("void Plain(int32 Damage);",
                                                                "void Plain(AActor* Owner, AController* Controller);")
        self.plant("Source/Demo/Public/DemoPawn.h", header)
        found = self.findings()
        self.assertEqual(len(found), 2, found)
        self.assertTrue(any("`Owner`" in f and "AActor::Owner" in f for f in found), found)
        self.assertTrue(any("`Controller`" in f and "APawn::Controller" in f for f in found), found)

    def test_a_definition_parameter_named_like_a_member_is_reported(self) -> None:
        source = GOOD["Source/Demo/Private/DemoPawn.cpp"].replace(
            "ADemoPawn::Make(UObject* WorldContextObject, int32 Speed)", "ADemoPawn::Make(UObject* WorldContextObject, int32 SpeedCmPerS)")
        self.plant("Source/Demo/Private/DemoPawn.cpp", source.replace("= Speed;", "= SpeedCmPerS;"))
        self.assert_one("parameter `SpeedCmPerS` of ADemoPawn::Make", "DemoPawn.cpp:3")

    def test_add_dynamic_to_a_function_that_is_not_a_ufunction_is_reported(self) -> None:
        source = GOOD["Source/Demo/Private/DemoPawn.cpp"].replace("&ADemoPawn::HandleHit", "&ADemoPawn::Plain")
        self.plant("Source/Demo/Private/DemoPawn.cpp", source)
        self.assert_one("AddDynamic binds ADemoPawn::Plain, which is not declared UFUNCTION()", "DemoPawn.cpp:12")

    # ---- #if on identifiers that may be undefined (MSVC C4668)

    def test_if_on_an_undefined_identifier_is_reported(self) -> None:
        self.plant("Source/Demo/Private/Cond.cpp", "#if __STDC_VERSION__ >= 202311L\n#endif\n#if defined(X) && X\n#endif\n")
        self.assert_one("`#if` tests `__STDC_VERSION__`", "Cond.cpp:1")

    def test_elif_on_an_unknown_macro_is_reported(self) -> None:
        self.plant("Source/Demo/Private/Cond.cpp", "#if WITH_EDITOR\n#elif WITH_DEMO_TYPO\n#endif\n")
        self.assert_one("`#if` tests `WITH_DEMO_TYPO`", "Cond.cpp:2")

    def test_including_the_c_header_directly_is_reported(self) -> None:
        self.plant("Source/Demo/Private/Direct.cpp", '#include "tower.h"\n')
        self.assert_one("includes tower.h directly, whose #if lines test __STDC_VERSION__ bare", "Direct.cpp:1")

    def test_a_pch_without_the_wrapper_is_reported(self) -> None:
        self.plant("Source/Demo/Private/DemoPCH.h", '#pragma once\n#include "CoreMinimal.h"\n')
        self.assert_one("PrivatePCHHeaderFile must include TowerFfiHeader.h", "Demo.Build.cs")

    # ---- what an Unreal user expects of a plugin

    def test_a_missing_docs_url_is_reported(self) -> None:
        desc = json.loads(GOOD["Demo.uplugin"])
        desc["DocsURL"] = ""
        self.plant("Demo.uplugin", json.dumps(desc))
        self.assert_one("DocsURL must be an http(s) address", "Demo.uplugin")

    def test_a_plugin_module_without_its_plugin_dependency_is_reported(self) -> None:
        desc = json.loads(GOOD["Demo.uplugin"])
        desc["Plugins"] = []
        self.plant("Demo.uplugin", json.dumps(desc))
        self.assert_one("depends on module EnhancedInput of plugin EnhancedInput", "Demo.Build.cs")

    def test_an_icon_of_the_wrong_size_is_reported(self) -> None:
        (self.dir / "Resources" / "Icon128.png").write_bytes(png_header(64, 64))
        self.assert_one("must be a 128x128 PNG, found (64, 64)", "Icon128.png")

    def test_a_missing_filter_plugin_ini_is_reported(self) -> None:
        (self.dir / "Config" / "FilterPlugin.ini").unlink()
        self.assert_one("no Config/FilterPlugin.ini", str(self.dir))

    # A Cancel() override of a UCancellableAsyncAction subclass must return early on
    # RF_BeginDestroyed (the engine's BeginDestroy calls Cancel during garbage collection).

    def test_a_guarded_cancel_passes(self) -> None:
        self.plant("Source/Demo/Public/DemoAction.h", ACTION_H)
        self.plant("Source/Demo/Private/DemoAction.cpp", '#include "DemoAction.h"\n' + GUARDED_CANCEL)
        self.assertEqual(self.findings(), [])

    def test_a_cancel_that_calls_out_first_is_reported(self) -> None:
        self.plant("Source/Demo/Public/DemoAction.h", ACTION_H)
        self.plant("Source/Demo/Private/DemoAction.cpp",
                   '#include "DemoAction.h"\nvoid UDemoAction::Cancel()\n{\n\tTarget->Stop();\n\tSuper::Cancel();\n}\n')
        self.assert_one("UDemoAction::Cancel must start with `if (HasAnyFlags(RF_BeginDestroyed))", "DemoAction.cpp:3")

    def test_a_guard_that_does_not_return_is_reported(self) -> None:
        self.plant("Source/Demo/Public/DemoAction.h", ACTION_H)
        self.plant("Source/Demo/Private/DemoAction.cpp", '#include "DemoAction.h"\n' +
                   GUARDED_CANCEL.replace("\t\treturn;\n", ""))
        self.assert_one("UDemoAction::Cancel must start with", "DemoAction.cpp:3")

    def test_a_guard_on_another_flag_is_reported(self) -> None:
        self.plant("Source/Demo/Public/DemoAction.h", ACTION_H)
        self.plant("Source/Demo/Private/DemoAction.cpp", '#include "DemoAction.h"\n' +
                   GUARDED_CANCEL.replace("RF_BeginDestroyed", "RF_ClassDefaultObject"))
        self.assert_one("UDemoAction::Cancel must start with", "DemoAction.cpp:3")

    def test_an_unguarded_inline_cancel_of_an_indirect_subclass_is_reported(self) -> None:
        self.plant("Source/Demo/Public/DemoAction.h", ACTION_H)
        self.plant("Source/Demo/Private/DemoAction.cpp", '#include "DemoAction.h"\n' + GUARDED_CANCEL)
        self.plant("Source/Demo/Public/DemoMore.h",
                   '#pragma once\n#include "DemoAction.h"\n#include "DemoMore.generated.h"\n\n'
                   'UCLASS()\nclass UDemoMore : public UDemoAction\n{\n\tGENERATED_BODY()\n\npublic:\n'
                   '\tvirtual void Cancel() override { Target->Stop(); }\n};\n')
        self.assert_one("UDemoMore::Cancel must start with", "DemoMore.h:11")

    def test_a_cancel_of_a_class_that_is_not_an_async_action_is_not_checked(self) -> None:
        self.plant("Source/Demo/Public/DemoAction.h", ACTION_H.replace("public UCancellableAsyncAction", "public UObject"))
        self.plant("Source/Demo/Private/DemoAction.cpp",
                   '#include "DemoAction.h"\nvoid UDemoAction::Cancel()\n{\n\tTarget->Stop();\n}\n')
        self.assertEqual(self.findings(), [])


class RealPluginTest(unittest.TestCase):
    """The rules against the repository's own plugin files where a rule reads them."""

    def test_the_build_cs_leaves_nakama_out_on_platforms_nakama_unreal_does_not_list(self) -> None:
        # TowerGame.Build.cs matches nakama-unreal's descriptor with two regular expressions;
        # run them here (.NET and Python agree on this syntax) against the 2.11.5 layout.
        repo = Path(__file__).resolve().parent.parent
        build = (repo / "ue5-plugin/TowerGame/Source/TowerGame/TowerGame.Build.cs").read_text(encoding="utf-8")
        literals = [json.loads('"' + m + '"') for m in
                    __import__("re").findall(r'Regex\.Match\((?:Descriptor|Module\.Value), "((?:[^"\\]|\\.)*)"\)', build)]
        self.assertEqual(len(literals), 2, literals)
        module_re, list_re = (__import__("re").compile(x) for x in literals)
        descriptor = json.dumps({"VersionName": "2.11.5", "Modules": [
            {"Name": "NakamaUnreal", "Type": "Runtime", "WhitelistPlatforms": ["Win64", "Linux", "IOS", "Mac", "Android"]},
            {"Name": "NakamaBlueprints", "Type": "Runtime", "WhitelistPlatforms": ["Win64"]}]}, indent=1)

        def supports(platform: str) -> bool:
            module = module_re.search(descriptor)
            listed = list_re.search(module.group(0)) if module else None
            return bool(module) and (listed is None or f'"{platform}"' in listed.group(1))

        self.assertTrue(supports("Win64"))
        self.assertTrue(supports("Linux"))
        self.assertFalse(supports("LinuxArm64"))


if __name__ == "__main__":
    unittest.main(verbosity=1)
