// Stand-in for Unreal's Core and CoreUObject modules: declarations only, written for
// scripts/test.d/65-unreal-checks.sh from the public API reference (docs.unrealengine.com)
// so that every glue file of the TowerGame plugin can be compiled with g++ and clang++
// without an engine. Nothing here runs: bodies exist only where C++ needs them to type-check
// (templates, consteval checks). What it enforces, as Unreal does:
//  - the assertion and logging macros have Unreal's fixed arity (check(x), verify(x),
//    ensure(x), checkf(x, fmt, ...)): a core name colliding with one fails to preprocess;
//  - TEXT() takes a string literal only, and the format of FString::Printf, UE_LOG,
//    checkf, ensureMsgf is a TEXT literal checked at compile time against its arguments
//    (count, %s wants a TCHAR pointer, %d an integer, %f a floating value), like UE 5.4+;
//  - dynamic delegates bind only member functions with the declared parameter list
//    (AddDynamic), native delegates only callables of their signature;
//  - engine base classes carry the members a glue local or parameter may hide
//    (APawn::Controller, AActor::Owner, USceneComponent::AttachParent...), so -Wshadow
//    reports what MSVC reports as C4456/C4457/C4458 under Unreal's warning settings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

// ---- Platform types (HAL/Platform.h). TCHAR is char16_t, as on Linux and Mac.
using uint8 = std::uint8_t;
using uint16 = std::uint16_t;
using uint32 = std::uint32_t;
using uint64 = std::uint64_t;
using int8 = std::int8_t;
using int16 = std::int16_t;
using int32 = std::int32_t;
using int64 = std::int64_t;
using TCHAR = char16_t;
using ANSICHAR = char;
using UTF8CHAR = char8_t;
using SIZE_T = std::size_t;
using PTRINT = std::intptr_t;
using UPTRINT = std::uintptr_t;

#define TEXT(x) u##x
#define TOWERGAME_API
#define CORE_API
#define ENGINE_API
#define FORCEINLINE inline
#define FORCENOINLINE __attribute__((noinline))
#define INDEX_NONE (-1)
#define UE_ARRAY_COUNT(array) (sizeof(array) / sizeof((array)[0]))
#define THIRD_PARTY_INCLUDES_START _Pragma("GCC diagnostic push") _Pragma("GCC diagnostic ignored \"-Wshadow\"")
#define THIRD_PARTY_INCLUDES_END _Pragma("GCC diagnostic pop")
#define PRAGMA_DISABLE_DEPRECATION_WARNINGS
#define PRAGMA_ENABLE_DEPRECATION_WARNINGS
#define UE_BUILD_SHIPPING 0
#define UE_BUILD_DEVELOPMENT 1
#define WITH_EDITOR 1
#define WITH_EDITORONLY_DATA 1
#define WITH_DEV_AUTOMATION_TESTS 1
#define PLATFORM_WINDOWS 0
#define PLATFORM_MAC 0
#define PLATFORM_LINUX 1
#define PLATFORM_CPU_ARM_FAMILY 0
#define PLATFORM_CPU_X86_FAMILY 1
#define ENGINE_MAJOR_VERSION 5
#define ENGINE_MINOR_VERSION 7

// ---- Reflection markup (UObject/ObjectMacros.h): UnrealHeaderTool reads these; to the
// compiler they are empty. The *.generated.h files are empty files made by the check.
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
#define ENUM_CLASS_FLAGS(Enum)                                                                   \
    inline constexpr Enum operator|(Enum A, Enum B) { return Enum(uint64(A) | uint64(B)); }       \
    inline constexpr Enum operator&(Enum A, Enum B) { return Enum(uint64(A) & uint64(B)); }       \
    inline constexpr bool operator!(Enum E) { return !uint64(E); }

// ---- Strings that are not FString
class FString;
namespace UE::StandIn
{
    // Compile-time format checking, as UE 5.4+ does for Printf and UE_LOG: the format is a
    // string literal (anything else has no matching constructor, or is not a constant
    // expression), its conversions match the arguments in number and kind.
    enum class EArgKind : uint8 { Integer, Floating, TcharPointer, AnsiPointer, Pointer, Other };

    template <typename T>
    consteval EArgKind KindOf()
    {
        using U = std::remove_cvref_t<T>;
        if constexpr (std::is_same_v<U, const TCHAR*> || std::is_same_v<U, TCHAR*>)
            return EArgKind::TcharPointer;
        else if constexpr (std::is_same_v<U, const ANSICHAR*> || std::is_same_v<U, ANSICHAR*>)
            return EArgKind::AnsiPointer;
        else if constexpr (std::is_pointer_v<U> || std::is_null_pointer_v<U>)
            return EArgKind::Pointer;
        else if constexpr (std::is_integral_v<U> || std::is_enum_v<U>)
            return EArgKind::Integer;
        else if constexpr (std::is_floating_point_v<U>)
            return EArgKind::Floating;
        else
            return EArgKind::Other;
    }

    // Not constexpr: reaching one of these in a consteval check is the compile error, and
    // its name is the message.
    void Format_has_more_conversions_than_arguments();
    void Format_has_fewer_conversions_than_arguments();
    void Format_s_wants_a_TCHAR_pointer_did_you_forget_the_star_on_an_FString();
    void Format_integer_conversion_wants_an_integer_argument();
    void Format_floating_conversion_wants_a_float_or_double();
    void Format_p_wants_a_pointer();
    void Format_unknown_conversion();

    template <typename... Types>
    struct TCheckedFormat
    {
        const TCHAR* Text;

        template <std::size_t N>
        consteval TCheckedFormat(const TCHAR (&Literal)[N]) : Text(Literal)
        {
            constexpr EArgKind Kinds[] = {KindOf<Types>()..., EArgKind::Other};
            constexpr std::size_t Count = sizeof...(Types);
            std::size_t Next = 0;
            for (std::size_t I = 0; I + 1 < N; ++I)
            {
                if (Literal[I] != u'%')
                    continue;
                ++I;
                if (Literal[I] == u'%')
                    continue;
                while (Literal[I] == u'-' || Literal[I] == u'+' || Literal[I] == u' ' || Literal[I] == u'#' || Literal[I] == u'0')
                    ++I;
                auto Star = [&]() {
                    if (Next >= Count)
                        Format_has_more_conversions_than_arguments();
                    if (Kinds[Next++] != EArgKind::Integer)
                        Format_integer_conversion_wants_an_integer_argument();
                };
                if (Literal[I] == u'*')
                {
                    Star();
                    ++I;
                }
                while (Literal[I] >= u'0' && Literal[I] <= u'9')
                    ++I;
                if (Literal[I] == u'.')
                {
                    ++I;
                    if (Literal[I] == u'*')
                    {
                        Star();
                        ++I;
                    }
                    while (Literal[I] >= u'0' && Literal[I] <= u'9')
                        ++I;
                }
                bool bAnsi = false;
                while (Literal[I] == u'h' || Literal[I] == u'l' || Literal[I] == u'z' || Literal[I] == u'j' || Literal[I] == u't' || Literal[I] == u'L')
                {
                    bAnsi = bAnsi || Literal[I] == u'h';
                    ++I;
                }
                if (Next >= Count)
                    Format_has_more_conversions_than_arguments();
                const EArgKind Kind = Kinds[Next++];
                switch (Literal[I])
                {
                case u'd': case u'i': case u'u': case u'x': case u'X': case u'o': case u'c':
                    if (Kind != EArgKind::Integer)
                        Format_integer_conversion_wants_an_integer_argument();
                    break;
                case u'f': case u'F': case u'e': case u'E': case u'g': case u'G':
                    if (Kind != EArgKind::Floating)
                        Format_floating_conversion_wants_a_float_or_double();
                    break;
                case u's': case u'S':
                    if (Kind != (bAnsi ? EArgKind::AnsiPointer : EArgKind::TcharPointer))
                        Format_s_wants_a_TCHAR_pointer_did_you_forget_the_star_on_an_FString();
                    break;
                case u'p':
                    if (Kind != EArgKind::Pointer && Kind != EArgKind::TcharPointer && Kind != EArgKind::AnsiPointer)
                        Format_p_wants_a_pointer();
                    break;
                default:
                    Format_unknown_conversion();
                }
            }
            if (Next != Count)
                Format_has_fewer_conversions_than_arguments();
        }
    };

    template <typename... Types>
    using TFormat = TCheckedFormat<std::type_identity_t<Types>...>;
}

// ---- Assertions (Misc/AssertionMacros.h), with Unreal's arity.
namespace UE::StandIn
{
    template <typename... Types>
    bool CheckMessage(bool bOk, TFormat<Types...> Format, Types... Args);
}
#define check(expr) ((void)(expr))
#define checkSlow(expr) ((void)0)
#define checkNoEntry() ((void)0)
#define verify(expr) ((void)(expr))
#define ensure(expr) (!!(expr))
#define ensureAlways(expr) (!!(expr))
#define checkf(expr, format, ...) ((void)::UE::StandIn::CheckMessage(!!(expr), format __VA_OPT__(, ) __VA_ARGS__))
#define verifyf(expr, format, ...) ((void)::UE::StandIn::CheckMessage(!!(expr), format __VA_OPT__(, ) __VA_ARGS__))
#define ensureMsgf(expr, format, ...) ::UE::StandIn::CheckMessage(!!(expr), format __VA_OPT__(, ) __VA_ARGS__)
#define ensureAlwaysMsgf(expr, format, ...) ::UE::StandIn::CheckMessage(!!(expr), format __VA_OPT__(, ) __VA_ARGS__)

// ---- Logging (Logging/LogMacros.h)
namespace ELogVerbosity
{
    enum Type : uint8 { NoLogging, Fatal, Error, Warning, Display, Log, Verbose, VeryVerbose, All = VeryVerbose };
}
struct FLogCategoryBase
{
    bool IsSuppressed(ELogVerbosity::Type Verbosity) const;
};
namespace UE::StandIn
{
    template <typename... Types>
    void Log(const FLogCategoryBase& Category, ELogVerbosity::Type Verbosity, TFormat<Types...> Format, Types... Args);
}
#define DECLARE_LOG_CATEGORY_EXTERN(Name, DefaultVerbosity, CompileTimeVerbosity)                 \
    extern struct FLogCategory##Name : public ::FLogCategoryBase                               \
    {                                                                                          \
        static constexpr ::ELogVerbosity::Type Default = ::ELogVerbosity::DefaultVerbosity;    \
        static constexpr ::ELogVerbosity::Type CompileTime = ::ELogVerbosity::CompileTimeVerbosity; \
    } Name
#define DEFINE_LOG_CATEGORY(Name) FLogCategory##Name Name
#define DEFINE_LOG_CATEGORY_STATIC(Name, DefaultVerbosity, CompileTimeVerbosity)                  \
    static struct FLogCategory##Name : public ::FLogCategoryBase                               \
    {                                                                                          \
        static constexpr ::ELogVerbosity::Type Default = ::ELogVerbosity::DefaultVerbosity;    \
    } Name
#define UE_LOG(CategoryName, Verbosity, Format, ...)                                             \
    ::UE::StandIn::Log(CategoryName, ::ELogVerbosity::Verbosity, Format __VA_OPT__(, ) __VA_ARGS__)
#define UE_CLOG(Condition, CategoryName, Verbosity, Format, ...)                                 \
    ((Condition) ? ::UE::StandIn::Log(CategoryName, ::ELogVerbosity::Verbosity, Format __VA_OPT__(, ) __VA_ARGS__) : (void)0)

// ---- Profiling (Stats/Stats.h). TRACE_CPUPROFILER_EVENT_SCOPE is declared only in
// ProfilingDebugging/CpuProfilerTrace.h, so a glue file that uses it without that include
// fails the stage's compile without the PCH.
#define QUICK_SCOPE_CYCLE_COUNTER(Stat) ((void)0)
struct TStatId {};
#define RETURN_QUICK_DECLARE_CYCLE_STAT(StatId, GroupId) return TStatId()

// ---- Containers (Containers/*.h)
template <typename T>
class TArray
{
public:
    using ElementType = T;
    TArray();
    TArray(std::initializer_list<T> Items);
    TArray(const T* Data, int32 Count);
    int32 Num() const;
    bool IsEmpty() const;
    bool IsValidIndex(int32 Index) const;
    T& operator[](int32 Index);
    const T& operator[](int32 Index) const;
    int32 Add(const T& Item);
    int32 Add(T&& Item);
    int32 AddUnique(const T& Item);
    template <typename... Args>
    int32 Emplace(Args&&... Arguments);
    void Append(const TArray& Other);
    void Append(const T* Data, int32 Count);
    void Reserve(int32 Count);
    void Reset(int32 NewSize = 0);
    void Empty(int32 Slack = 0);
    void SetNum(int32 Count);
    T& AddDefaulted_GetRef();
    int32 AddDefaulted(int32 Count = 1);
    int32 Remove(const T& Item);
    void RemoveAt(int32 Index);
    bool Contains(const T& Item) const;
    int32 Find(const T& Item) const;
    T* GetData();
    const T* GetData() const;
    T* begin();
    T* end();
    const T* begin() const;
    const T* end() const;
};

template <typename K, typename V>
struct TPair
{
    K Key;
    V Value;
};

template <typename K, typename V>
class TMap
{
public:
    using ElementType = TPair<K, V>;
    TMap();
    int32 Num() const;
    bool IsEmpty() const;
    V& Add(const K& Key, const V& Value);
    V& Add(const K& Key);
    V& FindOrAdd(const K& Key);
    V* Find(const K& Key);
    const V* Find(const K& Key) const;
    V& FindChecked(const K& Key);
    bool Contains(const K& Key) const;
    int32 Remove(const K& Key);
    bool RemoveAndCopyValue(const K& Key, V& OutValue);
    void Reset();
    void Empty(int32 Slack = 0);
    void Reserve(int32 Count);
    ElementType* begin();
    ElementType* end();
    const ElementType* begin() const;
    const ElementType* end() const;
};

template <typename T>
class TSet
{
public:
    int32 Num() const;
    void Add(const T& Item);
    bool Contains(const T& Item) const;
    int32 Remove(const T& Item);
    void Reset();
    const T* begin() const;
    const T* end() const;
};

template <typename T>
class TOptional
{
public:
    TOptional();
    TOptional(const T& Value);
    TOptional(T&& Value);
    bool IsSet() const;
    explicit operator bool() const;
    const T& GetValue() const;
    T& GetValue();
    const T& Get(const T& Default) const;
    void Reset();
};

template <typename Signature>
class TFunction;
template <typename R, typename... Args>
class TFunction<R(Args...)>
{
public:
    TFunction();
    TFunction(std::nullptr_t);
    template <typename F>
        requires std::is_invocable_r_v<R, F&, Args...> && (!std::is_same_v<std::remove_cvref_t<F>, TFunction>)
    TFunction(F&& Callable) { (void)Callable; }
    R operator()(Args... Arguments) const;
    explicit operator bool() const;
};

// ---- Smart pointers (Templates/SharedPointer.h)
namespace ESPMode
{
    enum class Type { NotThreadSafe, ThreadSafe };
    constexpr Type ThreadSafe = Type::ThreadSafe;
}
template <typename T, ESPMode::Type Mode = ESPMode::ThreadSafe>
class TSharedPtr
{
public:
    TSharedPtr();
    TSharedPtr(std::nullptr_t);
    bool IsValid() const;
    explicit operator bool() const;
    T* Get() const;
    T* operator->() const;
    T& operator*() const;
    void Reset();
};
template <typename T, ESPMode::Type Mode = ESPMode::ThreadSafe>
class TSharedRef
{
public:
    T* operator->() const;
    T& Get() const;
};
template <typename T, ESPMode::Type Mode = ESPMode::ThreadSafe>
class TWeakPtr
{
public:
    TWeakPtr();
    TWeakPtr(std::nullptr_t);
    bool IsValid() const;
    TSharedPtr<T, Mode> Pin() const;
    void Reset();
};

// ---- Strings (Containers/UnrealString.h, UObject/NameTypes.h)
enum class ESearchCase : uint8 { CaseSensitive, IgnoreCase };
class FString
{
public:
    FString();
    FString(const TCHAR* Text);
    FString(const ANSICHAR* Text);
    FString(int32 Length, const TCHAR* Text);
    FString(const FString&);
    FString(FString&&);
    FString& operator=(const FString&);
    FString& operator=(FString&&);
    FString& operator=(const TCHAR* Text);
    ~FString();

    const TCHAR* operator*() const;
    int32 Len() const;
    bool IsEmpty() const;
    void Reset(int32 Slack = 0);
    void Empty(int32 Slack = 0);
    FString TrimStartAndEnd() const&;
    FString TrimStart() const&;
    FString TrimEnd() const&;
    FString ToLower() const&;
    FString ToUpper() const&;
    FString Left(int32 Count) const;
    FString Mid(int32 Start, int32 Count = 0x7fffffff) const;
    bool Contains(const TCHAR* Sub, ESearchCase SearchCase = ESearchCase::IgnoreCase) const;
    bool Contains(const FString& Sub, ESearchCase SearchCase = ESearchCase::IgnoreCase) const;
    bool StartsWith(const FString& Prefix, ESearchCase SearchCase = ESearchCase::IgnoreCase) const;
    bool Equals(const FString& Other, ESearchCase SearchCase = ESearchCase::CaseSensitive) const;
    FString& Append(const FString& Text);
    FString& operator+=(const FString& Text);
    FString& operator+=(const TCHAR* Text);
    FString& operator+=(TCHAR Char);

    template <typename... Types>
    static FString Printf(UE::StandIn::TFormat<Types...> Format, Types... Args);
    template <typename... Types>
    FString& Appendf(UE::StandIn::TFormat<Types...> Format, Types... Args);
    static FString Join(const TArray<FString>& Parts, const TCHAR* Separator);
    static FString ChrN(int32 Count, TCHAR Char);
    static FString FromInt(int32 Value);
    static FString SanitizeFloat(double Value, int32 MinFractionalDigits = 1);
};
FString operator+(const FString& A, const FString& B);
FString operator+(const FString& A, const TCHAR* B);
FString operator+(const TCHAR* A, const FString& B);
bool operator==(const FString& A, const FString& B);
bool operator==(const FString& A, const TCHAR* B);
bool operator!=(const FString& A, const FString& B);
bool operator<(const FString& A, const FString& B);

enum EName { NAME_None = 0 };
class FName
{
public:
    FName();
    FName(EName Name);
    FName(const TCHAR* Name);
    FName(const ANSICHAR* Name);
    FName(const FString& Name);
    FString ToString() const;
    bool IsNone() const;
    bool operator==(const FName& Other) const;
    bool operator!=(const FName& Other) const;
};

class FText
{
public:
    FText();
    static FText FromString(const FString& Text);
    const FString& ToString() const;
    bool IsEmpty() const;
};

// Conversions (Containers/StringConv.h): temporaries that live to the end of the
// full expression, as Unreal's TCHAR_TO_UTF8 / UTF8_TO_TCHAR.
class FTCHARToUTF8
{
public:
    explicit FTCHARToUTF8(const TCHAR* Text);
    const ANSICHAR* Get() const;
    int32 Length() const;
};
class FUTF8ToTCHAR
{
public:
    explicit FUTF8ToTCHAR(const ANSICHAR* Text);
    const TCHAR* Get() const;
    int32 Length() const;
};
#define TCHAR_TO_UTF8(Text) (::FTCHARToUTF8(static_cast<const TCHAR*>(Text)).Get())
#define UTF8_TO_TCHAR(Text) (::FUTF8ToTCHAR(static_cast<const ANSICHAR*>(Text)).Get())
#define TCHAR_TO_ANSI(Text) TCHAR_TO_UTF8(Text)
#define ANSI_TO_TCHAR(Text) UTF8_TO_TCHAR(Text)

// ---- Math (Math/*.h): the double-precision large-world types of UE 5.
struct FVector;
struct FRotator
{
    double Pitch = 0.0;
    double Yaw = 0.0;
    double Roll = 0.0;
    FRotator();
    FRotator(double InPitch, double InYaw, double InRoll);
    static const FRotator ZeroRotator;
    FVector Vector() const;
};
struct FVector
{
    double X = 0.0;
    double Y = 0.0;
    double Z = 0.0;
    FVector();
    explicit FVector(double InF);
    FVector(double InX, double InY, double InZ);
    static const FVector ZeroVector;
    static const FVector OneVector;
    static const FVector UpVector;
    FVector operator+(const FVector& V) const;
    FVector operator-(const FVector& V) const;
    FVector operator*(double Scale) const;
    FVector operator/(double Scale) const;
    FVector& operator+=(const FVector& V);
    FVector& operator-=(const FVector& V);
    double Size() const;
    double Size2D() const;
    double SizeSquared() const;
    double SizeSquared2D() const;
    bool Equals(const FVector& V, double Tolerance = 1.e-4) const;
    bool IsNearlyZero(double Tolerance = 1.e-4) const;
    FVector GetSafeNormal(double Tolerance = 1.e-8) const;
    FRotator Rotation() const;
};
struct FVector2D
{
    double X = 0.0;
    double Y = 0.0;
    FVector2D();
    FVector2D(double InX, double InY);
    static const FVector2D ZeroVector;
    FVector2D operator+(const FVector2D& V) const;
    FVector2D operator-(const FVector2D& V) const;
    FVector2D operator*(double Scale) const;
    FVector2D& operator+=(const FVector2D& V);
    double Size() const;
    double SizeSquared() const;
    bool Equals(const FVector2D& V, double Tolerance = 1.e-4) const;
    bool IsNearlyZero(double Tolerance = 1.e-4) const;
    FVector2D GetSafeNormal(double Tolerance = 1.e-8) const;
    FVector2D ClampAxes(double MinAxisVal, double MaxAxisVal) const;
};
struct FQuat
{
    FQuat();
};
struct FTransform
{
    FTransform();
    FTransform(const FRotator& Rotation, const FVector& Translation, const FVector& Scale3D = FVector::OneVector);
    explicit FTransform(const FVector& Translation);
    static const FTransform Identity;
    FVector TransformPosition(const FVector& V) const;
    FVector InverseTransformPosition(const FVector& V) const;
    FVector GetLocation() const;
    FRotator Rotator() const;
};
struct FLinearColor
{
    float R = 0.0f, G = 0.0f, B = 0.0f, A = 1.0f;
    FLinearColor();
    FLinearColor(float InR, float InG, float InB, float InA = 1.0f);
    static const FLinearColor White;
};
struct FColor
{
    uint8 B = 0, G = 0, R = 0, A = 255;
};
struct FMath
{
    template <typename T>
    static constexpr T Max(T A, T B) { return A < B ? B : A; }
    template <typename T>
    static constexpr T Min(T A, T B) { return A < B ? A : B; }
    template <typename T>
    static constexpr T Clamp(T X, T Lo, T Hi) { return X < Lo ? Lo : (Hi < X ? Hi : X); }
    template <typename T>
    static constexpr T Square(T A) { return A * A; }
    template <typename T>
    static constexpr T Abs(T A) { return A < T(0) ? -A : A; }
    static float FRand();
    static int32 RandRange(int32 Min, int32 Max);
    static double FRandRange(double Min, double Max);
    static bool IsNearlyEqual(double A, double B, double Tolerance = 1.e-8);
    static bool IsNearlyZero(double Value, double Tolerance = 1.e-8);
    static int32 FloorToInt(double Value);
    static int32 RoundToInt(double Value);
};

// ---- UObject basics (UObject/*.h)
class UObject;
class UClass;
class UWorld;
class UPackage;
enum EObjectFlags : uint32
{
    RF_NoFlags = 0,
    RF_Public = 1u << 0,
    RF_Standalone = 1u << 1,
    RF_Transactional = 1u << 3,
    RF_ClassDefaultObject = 1u << 4,
    RF_ArchetypeObject = 1u << 5,
    RF_Transient = 1u << 6,
    RF_BeginDestroyed = 1u << 15,
    RF_FinishDestroyed = 1u << 16,
};
inline constexpr EObjectFlags operator|(EObjectFlags A, EObjectFlags B) { return EObjectFlags(uint32(A) | uint32(B)); }

// The private members of UObjectBase: a glue name equal to one of them is hidden all the
// same (MSVC C4458 does not care about access).
class UObjectBase
{
public:
    virtual ~UObjectBase();

private:
    EObjectFlags ObjectFlags;
    int32 InternalIndex;
    UClass* ClassPrivate;
    FName NamePrivate;
    UObject* OuterPrivate;
};

class UObjectBaseUtility : public UObjectBase
{
public:
    bool HasAnyFlags(EObjectFlags Flags) const;
    // Marked unreachable by the garbage collector in this pass (UObject/UObjectBaseUtility.h).
    bool IsUnreachable() const;
    bool IsTemplate(EObjectFlags TemplateTypes = RF_ArchetypeObject | RF_ClassDefaultObject) const;
    FString GetName() const;
    FString GetPathName() const;
    UObject* GetOuter() const;
    UClass* GetClass() const;
    UPackage* GetOutermost() const;
    bool IsA(const UClass* Class) const;
    template <typename T>
    bool IsA() const;
    template <typename T>
    T* GetTypedOuter() const;
    void MarkAsGarbage();
};

struct FPropertyChangedEvent;
struct FObjectInitializer;
class UObject : public UObjectBaseUtility
{
public:
    // The stand-in's version of what GENERATED_BODY() gives every class: `Super` is the
    // direct base class because each stand-in class names itself.
    using Super = UObject;
    using ThisClass = UObject;
    static UClass* StaticClass();
    UObject();
    virtual UWorld* GetWorld() const;
    virtual void PostInitProperties();
    virtual void PostLoad();
    virtual void BeginDestroy();
    virtual void FinishDestroy();
    virtual void PostEditChangeProperty(FPropertyChangedEvent& PropertyChangedEvent);
    bool IsValidLowLevel() const;
    void SaveConfig();
    void TryUpdateDefaultConfigFile();
};
// Each stand-in class names itself `Super`: a glue class deriving from it directly then
// finds its direct base as `Super`, as UnrealHeaderTool's GENERATED_BODY() gives it.
#define STANDIN_UCLASS(Name, Base)     \
public:                                \
    using Super = Name;                \
    using ThisClass = Name;            \
    static UClass* StaticClass();      \
    friend struct FStandInFriend##Name

class UField : public UObject
{
    STANDIN_UCLASS(UField, UObject);
};
class UStruct : public UField
{
    STANDIN_UCLASS(UStruct, UField);
};
class UClass : public UStruct
{
    STANDIN_UCLASS(UClass, UStruct);
    UObject* GetDefaultObject(bool bCreateIfNeeded = true) const;
    bool IsChildOf(const UClass* Other) const;
};
class UEnum : public UField
{
    STANDIN_UCLASS(UEnum, UField);
    FString GetNameStringByValue(int64 Value) const;
    FText GetDisplayNameTextByValue(int64 Value) const;
};
class UPackage : public UObject
{
    STANDIN_UCLASS(UPackage, UObject);
    int32 GetPIEInstanceID() const;
};
template <typename E>
UEnum* StaticEnum();
UPackage* GetTransientPackage();

template <typename T>
class TObjectPtr
{
public:
    TObjectPtr();
    TObjectPtr(std::nullptr_t);
    TObjectPtr(T* Object);
    template <typename U>
        requires std::is_convertible_v<U*, T*>
    TObjectPtr(const TObjectPtr<U>& Other);
    TObjectPtr& operator=(T* Object);
    template <typename U>
        requires std::is_convertible_v<U*, T*>
    TObjectPtr& operator=(const TObjectPtr<U>& Other);
    TObjectPtr& operator=(std::nullptr_t);
    operator T*() const;
    T* operator->() const;
    T& operator*() const;
    T* Get() const;
    explicit operator bool() const;
};
template <typename T>
bool operator==(const TObjectPtr<T>& A, std::nullptr_t);
template <typename T>
bool operator!=(const TObjectPtr<T>& A, std::nullptr_t);

template <typename T>
class TWeakObjectPtr
{
public:
    TWeakObjectPtr();
    TWeakObjectPtr(std::nullptr_t);
    template <typename U>
        requires std::is_convertible_v<U*, T*>
    TWeakObjectPtr(U* Object);
    template <typename U>
        requires std::is_convertible_v<U*, T*>
    TWeakObjectPtr(const TObjectPtr<U>& Object);
    template <typename U>
        requires std::is_convertible_v<U*, T*>
    TWeakObjectPtr& operator=(U* Object);
    TWeakObjectPtr& operator=(std::nullptr_t);
    T* Get() const;
    T* operator->() const;
    bool IsValid() const;
    bool IsStale() const;
    void Reset();
    explicit operator bool() const;
};

// TSoftObjectPtr: only in UObject/SoftObjectPtr.h (include what you use).

template <typename T>
class TSubclassOf
{
public:
    TSubclassOf();
    TSubclassOf(std::nullptr_t);
    TSubclassOf(UClass* Class);
    operator UClass*() const;
    UClass* Get() const;
    UClass* operator->() const;
};
template <typename T>
bool operator==(const TSubclassOf<T>& A, std::nullptr_t);

template <typename T>
T* NewObject(UObject* Outer = (UObject*)GetTransientPackage(), FName Name = NAME_None, EObjectFlags Flags = RF_NoFlags);
template <typename T>
T* NewObject(UObject* Outer, const UClass* Class, FName Name = NAME_None, EObjectFlags Flags = RF_NoFlags);
template <typename T>
T* LoadObject(UObject* Outer, const TCHAR* Name, const TCHAR* Filename = nullptr, uint32 LoadFlags = 0);
template <typename T>
const T* GetDefault();
template <typename T>
T* GetMutableDefault();
template <typename To, typename From>
To* Cast(From* Source)
{
    static_assert(std::is_base_of_v<UObject, std::remove_cv_t<To>>, "Cast<> is for UObject types");
    (void)Source;
    return nullptr;
}
template <typename To, typename From>
To* Cast(const TObjectPtr<From>& Source)
{
    return Cast<To>(Source.Get());
}
template <typename To, typename From>
To* CastChecked(From* Source);
bool IsValid(const UObject* Object);

// ---- Delegates (Delegates/Delegate.h)
class FDelegateHandle
{
public:
    FDelegateHandle();
    bool IsValid() const;
    void Reset();
    bool operator==(const FDelegateHandle& Other) const;
};

template <typename Signature>
class TDelegate;
template <typename R, typename... Args>
class TDelegate<R(Args...)>
{
public:
    TDelegate();
    template <typename U, typename C>
        requires std::is_base_of_v<C, U> && std::is_base_of_v<UObject, U>
    static TDelegate CreateUObject(U* Object, R (C::*Method)(Args...));
    template <typename U, typename C>
        requires std::is_base_of_v<C, U> && std::is_base_of_v<UObject, U>
    static TDelegate CreateUObject(const U* Object, R (C::*Method)(Args...) const);
    template <typename U, typename C>
        requires std::is_base_of_v<C, U>
    static TDelegate CreateRaw(U* Object, R (C::*Method)(Args...));
    template <typename F>
        requires std::is_invocable_r_v<R, F&, Args...>
    static TDelegate CreateLambda(F&& Callable) { (void)Callable; return TDelegate(); }
    template <typename U, typename F>
        requires std::is_base_of_v<UObject, U> && std::is_invocable_r_v<R, F&, Args...>
    static TDelegate CreateWeakLambda(U* Object, F&& Callable) { (void)Object; (void)Callable; return TDelegate(); }
    static TDelegate CreateStatic(R (*Function)(Args...));
    template <typename U, typename C>
        requires std::is_base_of_v<C, U> && std::is_base_of_v<UObject, U>
    void BindUObject(U* Object, R (C::*Method)(Args...));
    template <typename F>
        requires std::is_invocable_r_v<R, F&, Args...>
    void BindLambda(F&& Callable) { (void)Callable; }
    bool IsBound() const;
    R Execute(Args... Arguments) const;
    bool ExecuteIfBound(Args... Arguments) const
        requires std::is_void_v<R>;
    void Unbind();
};

template <typename Signature>
class TMulticastDelegate;
template <typename... Args>
class TMulticastDelegate<void(Args...)>
{
public:
    template <typename U, typename C>
        requires std::is_base_of_v<C, U> && std::is_base_of_v<UObject, U>
    FDelegateHandle AddUObject(U* Object, void (C::*Method)(Args...));
    template <typename U, typename C>
        requires std::is_base_of_v<C, U>
    FDelegateHandle AddRaw(U* Object, void (C::*Method)(Args...));
    template <typename F>
        requires std::is_invocable_v<F&, Args...>
    FDelegateHandle AddLambda(F&& Callable) { (void)Callable; return FDelegateHandle(); }
    template <typename U, typename F>
        requires std::is_base_of_v<UObject, U> && std::is_invocable_v<F&, Args...>
    FDelegateHandle AddWeakLambda(U* Object, F&& Callable) { (void)Object; (void)Callable; return FDelegateHandle(); }
    FDelegateHandle Add(const TDelegate<void(Args...)>& Delegate);
    bool Remove(FDelegateHandle Handle);
    int32 RemoveAll(const void* Object);
    void Clear();
    bool IsBound() const;
    void Broadcast(Args... Arguments) const;
};

// Dynamic (reflected) multicast delegates: AddDynamic binds a member function whose
// parameter list is exactly the declared one, on a UObject.
template <typename Signature>
class TDynamicMulticastDelegate;
template <typename... Args>
class TDynamicMulticastDelegate<void(Args...)>
{
public:
    template <typename U, typename C>
        requires std::is_base_of_v<C, U> && std::is_base_of_v<UObject, U>
    void __Internal_AddDynamic(U* Object, void (C::*Method)(Args...), FName FunctionName);
    template <typename U, typename C>
        requires std::is_base_of_v<C, U> && std::is_base_of_v<UObject, U>
    void __Internal_AddUniqueDynamic(U* Object, void (C::*Method)(Args...), FName FunctionName);
    template <typename U, typename C>
        requires std::is_base_of_v<C, U> && std::is_base_of_v<UObject, U>
    void __Internal_RemoveDynamic(U* Object, void (C::*Method)(Args...), FName FunctionName);
    template <typename U, typename C>
        requires std::is_base_of_v<C, U> && std::is_base_of_v<UObject, U>
    bool __Internal_IsAlreadyBound(U* Object, void (C::*Method)(Args...), FName FunctionName) const;
    void Clear();
    void RemoveAll(const UObject* Object);
    bool IsBound() const;
    void Broadcast(Args... Arguments) const;
};
#define AddDynamic(UserObject, FuncName) __Internal_AddDynamic(UserObject, FuncName, FName(#FuncName))
#define AddUniqueDynamic(UserObject, FuncName) __Internal_AddUniqueDynamic(UserObject, FuncName, FName(#FuncName))
#define RemoveDynamic(UserObject, FuncName) __Internal_RemoveDynamic(UserObject, FuncName, FName(#FuncName))
#define IsAlreadyBound(UserObject, FuncName) __Internal_IsAlreadyBound(UserObject, FuncName, FName(#FuncName))

#define DECLARE_DELEGATE(Name) using Name = ::TDelegate<void()>
#define DECLARE_DELEGATE_OneParam(Name, T1) using Name = ::TDelegate<void(T1)>
#define DECLARE_DELEGATE_TwoParams(Name, T1, T2) using Name = ::TDelegate<void(T1, T2)>
#define DECLARE_DELEGATE_RetVal(R, Name) using Name = ::TDelegate<R()>
#define DECLARE_DELEGATE_RetVal_OneParam(R, Name, T1) using Name = ::TDelegate<R(T1)>
#define DECLARE_MULTICAST_DELEGATE(Name) using Name = ::TMulticastDelegate<void()>
#define DECLARE_MULTICAST_DELEGATE_OneParam(Name, T1) using Name = ::TMulticastDelegate<void(T1)>
#define DECLARE_MULTICAST_DELEGATE_TwoParams(Name, T1, T2) using Name = ::TMulticastDelegate<void(T1, T2)>
#define DECLARE_DYNAMIC_MULTICAST_DELEGATE(Name) \
    class Name : public ::TDynamicMulticastDelegate<void()> {}
#define DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(Name, T1, P1) \
    class Name : public ::TDynamicMulticastDelegate<void(T1 P1)> {}
#define DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(Name, T1, P1, T2, P2) \
    class Name : public ::TDynamicMulticastDelegate<void(T1 P1, T2 P2)> {}
#define DECLARE_DYNAMIC_MULTICAST_DELEGATE_ThreeParams(Name, T1, P1, T2, P2, T3, P3) \
    class Name : public ::TDynamicMulticastDelegate<void(T1 P1, T2 P2, T3 P3)> {}
#define DECLARE_DYNAMIC_MULTICAST_DELEGATE_FourParams(Name, T1, P1, T2, P2, T3, P3, T4, P4) \
    class Name : public ::TDynamicMulticastDelegate<void(T1 P1, T2 P2, T3 P3, T4 P4)> {}
#define DECLARE_DYNAMIC_MULTICAST_DELEGATE_FiveParams(Name, T1, P1, T2, P2, T3, P3, T4, P4, T5, P5) \
    class Name : public ::TDynamicMulticastDelegate<void(T1 P1, T2 P2, T3 P3, T4 P4, T5 P5)> {}

// ---- Ticker (Containers/Ticker.h)
DECLARE_DELEGATE_RetVal_OneParam(bool, FTickerDelegate, float);
class FTSTicker
{
public:
    struct FElement;
    using FDelegateHandle = TWeakPtr<FElement>;
    static FTSTicker& GetCoreTicker();
    FDelegateHandle AddTicker(const FTickerDelegate& Delegate, float Delay = 0.0f);
    FDelegateHandle AddTicker(const TCHAR* Name, float Delay, TFunction<bool(float)> Function);
    static void RemoveTicker(FDelegateHandle Handle);
};

// ---- Platform (HAL/PlatformTime.h, HAL/PlatformProcess.h, HAL/PlatformMisc.h)
struct FPlatformTime
{
    static double Seconds();
    static uint64 Cycles64();
};
struct FPlatformProcess
{
    static uint32 GetCurrentProcessId();
    static void* GetDllHandle(const TCHAR* Filename);
    static void FreeDllHandle(void* DllHandle);
    static void* GetDllExport(void* DllHandle, const TCHAR* ProcName);
};
struct FPlatformMisc
{
    static FString GetLoginId();
    static FString GetDeviceId();
};
using FGenericPlatformMisc = FPlatformMisc;
struct FPaths
{
    template <typename... Paths>
    static FString Combine(Paths&&... Parts);
    static FString ProjectDir();
    static FString ProjectSavedDir();
};
// Misc/CommandLine.h: the process's command line (without the executable).
struct FCommandLine
{
    static const TCHAR* Get();
};
struct FApp
{
    static bool IsGame();
    static double GetDeltaTime();
};

// ---- Modules, plugins, console (Modules/ModuleInterface.h, Interfaces/IPluginManager.h,
// HAL/IConsoleManager.h)
class IModuleInterface
{
public:
    virtual ~IModuleInterface();
    virtual void StartupModule();
    virtual void ShutdownModule();
};
#define IMPLEMENT_MODULE(ModuleClass, ModuleName) \
    extern "C" IModuleInterface* InitializeModule_##ModuleName() { return new ModuleClass(); }
class IPlugin
{
public:
    virtual ~IPlugin();
    virtual FString GetBaseDir() const = 0;
};
class IPluginManager
{
public:
    static IPluginManager& Get();
    virtual TSharedPtr<IPlugin> FindPlugin(const FString& Name) = 0;
};
DECLARE_DELEGATE_OneParam(FConsoleCommandWithWorldDelegate, UWorld*);
DECLARE_DELEGATE(FConsoleCommandDelegate);
class FAutoConsoleCommandWithWorld
{
public:
    FAutoConsoleCommandWithWorld(const TCHAR* Name, const TCHAR* Help, const FConsoleCommandWithWorldDelegate& Command, uint32 Flags = 0);
};
class FAutoConsoleCommand
{
public:
    FAutoConsoleCommand(const TCHAR* Name, const TCHAR* Help, const FConsoleCommandDelegate& Command, uint32 Flags = 0);
};
