// A stand-in for what CoreMinimal.h (and, on Win64, the Windows headers it may pull in)
// leaves defined as global macros when a glue file includes the engine-free core after it.
// scripts/test.d/65-unreal-checks.sh force-includes this before every core source and
// header (gcc and clang, C++20, warnings as errors), so a core name that an Unreal macro
// would rewrite (`Floor::verify(...)` once broke every glue file) fails here, not in a
// user's editor. scripts/unreal_lint.py reads the macro names from this file: add a name
// here and both checks know it. The bodies only need to be valid; they never run.
#pragma once

// ---- Assertions (Misc/AssertionMacros.h)
#define check(expr) ((void)(expr))
#define checkf(expr, format, ...) ((void)(expr))
#define checkSlow(expr) ((void)0)
#define checkfSlow(expr, format, ...) ((void)0)
#define checkCode(code) ((void)0)
#define checkNoEntry() ((void)0)
#define checkNoReentry() ((void)0)
#define checkNoRecursion() ((void)0)
#define unimplemented() ((void)0)
#define verify(expr) ((void)(expr))
#define verifyf(expr, format, ...) ((void)(expr))
#define verifySlow(expr) ((void)(expr))
#define ensure(expr) (!!(expr))
#define ensureMsgf(expr, format, ...) (!!(expr))
#define ensureAlways(expr) (!!(expr))
#define ensureAlwaysMsgf(expr, format, ...) (!!(expr))
#define UE_ASSUME(expr) ((void)0)
#define CA_ASSUME(expr) ((void)0)

// ---- Logging and text (Logging/LogMacros.h, HAL/Platform.h, Internationalization)
#define UE_LOG(category, verbosity, format, ...) ((void)0)
#define UE_LOGFMT(category, verbosity, format, ...) ((void)0)
#define UE_CLOG(condition, category, verbosity, format, ...) ((void)0)
#define DECLARE_LOG_CATEGORY_EXTERN(name, default_verbosity, compile_time_verbosity) struct name##_unused
#define DEFINE_LOG_CATEGORY(name) struct name##_unused_def
#define DEFINE_LOG_CATEGORY_STATIC(name, default_verbosity, compile_time_verbosity) struct name##_unused_static
#define TEXT(x) u##x
#define LOCTEXT(key, text) 0
#define NSLOCTEXT(ns, key, text) 0
#define INVTEXT(text) 0
#define TCHAR_TO_UTF8(str) ((const char*)(str))
#define UTF8_TO_TCHAR(str) ((const char16_t*)(str))
#define TCHAR_TO_ANSI(str) ((const char*)(str))
#define ANSI_TO_TCHAR(str) ((const char16_t*)(str))

// ---- Compiler and platform (HAL/Platform.h, Misc/CoreMiscDefines.h)
#define FORCEINLINE inline
#define FORCENOINLINE __attribute__((noinline))
#define FORCEINLINE_DEBUGGABLE inline
#define RESTRICT __restrict
#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define UE_NODISCARD [[nodiscard]]
#define UE_DEPRECATED(version, message) [[deprecated(message)]]
#define DEPRECATED(version, message) [[deprecated(message)]]
#define PRAGMA_DISABLE_DEPRECATION_WARNINGS
#define PRAGMA_ENABLE_DEPRECATION_WARNINGS
#define THIRD_PARTY_INCLUDES_START
#define THIRD_PARTY_INCLUDES_END
#define UE_ARRAY_COUNT(array) (sizeof(array) / sizeof((array)[0]))
#define ARRAY_COUNT(array) (sizeof(array) / sizeof((array)[0]))
#define STRUCT_OFFSET(s, m) __builtin_offsetof(s, m)
#define INDEX_NONE (-1)
#define UE_BUILD_DEBUG 0
#define UE_BUILD_DEVELOPMENT 1
#define UE_BUILD_SHIPPING 0
#define UE_BUILD_TEST 0
#define WITH_EDITOR 1
#define WITH_EDITORONLY_DATA 1
#define PLATFORM_WINDOWS 0
#define PLATFORM_LINUX 1
#define PLATFORM_MAC 0
#define PLATFORM_64BITS 1
#define IN
#define OUT
#define SCOPE_CYCLE_COUNTER(stat) ((void)0)
#define QUICK_SCOPE_CYCLE_COUNTER(stat) ((void)0)
#define TRACE_CPUPROFILER_EVENT_SCOPE(name) ((void)0)

// ---- Math constants (Math/UnrealMathUtility.h)
#define PI (3.1415926535897932f)
#define SMALL_NUMBER (1.e-8f)
#define KINDA_SMALL_NUMBER (1.e-4f)
#define BIG_NUMBER (3.4e+38f)
#define EULERS_NUMBER (2.71828182845904523536f)
#define INV_PI (0.31830988618f)
#define HALF_PI (1.57079632679f)
#define TWO_PI (6.28318530717f)
#define DOUBLE_PI (3.141592653589793238462643383279502884197169399)
#define DELTA (0.00001f)
#define MAX_FLT 3.402823466e+38F
#define UE_PI (3.1415926535897932f)
#define UE_SMALL_NUMBER (1.e-8f)
#define UE_KINDA_SMALL_NUMBER (1.e-4f)
#define UE_BIG_NUMBER (3.4e+38f)

// ---- Reflection (UObject/ObjectMacros.h): only meaningful in glue headers
#define UCLASS(...)
#define USTRUCT(...)
#define UENUM(...)
#define UINTERFACE(...)
#define UPROPERTY(...)
#define UFUNCTION(...)
#define UPARAM(...)
#define UMETA(...)
#define UDELEGATE(...)
#define GENERATED_BODY(...)
#define GENERATED_UCLASS_BODY(...)
#define GENERATED_USTRUCT_BODY(...)

// ---- Windows headers, when a Win64 build includes them without NOMINMAX & co.
#define min(a, b) (((a) < (b)) ? (a) : (b))
#define max(a, b) (((a) > (b)) ? (a) : (b))
#define near
#define far
#define small char
#define interface struct
#define TRUE 1
#define FALSE 0
#define ERROR 0
#define DELETE (0x00010000L)
#define CreateWindow CreateWindowW
#define GetObject GetObjectW
#define GetMessage GetMessageW
#define SendMessage SendMessageW
#define DrawText DrawTextW
#define LoadString LoadStringW
#define CopyFile CopyFileW
#define MoveFile MoveFileW
#define DeleteFile DeleteFileW
#define GetCurrentTime() 0
#define Yield()
