// Stand-in for the nakama-unreal 2.11 API the TowerGame matchmaker calls (plugin "Nakama",
// module NakamaUnreal), declared from the public headers' signatures of 2.11.0-2.11.5:
// the lambda overloads of UNakamaClient::AuthenticateDevice, UNakamaRealtimeClient::Connect,
// AddMatchmaker (whose counts are non-const TOptional<int32>& in 2.11, so a temporary does
// not bind) and RemoveMatchmaker, and the native notification delegate added in 2.11.0.
// Only on the include path of the WITH_TOWER_NAKAMA=1 compile.
#pragma once

#include "CoreMinimal.h"

struct FNakamaError
{
    FString Message;
    int32 Code = 0;
};
struct FNakamaRtError
{
    FString Message;
    int32 Code = 0;
};
struct FNakamaNotification
{
    FString Id;
    FString Subject;
    FString Content;
    FString SenderId;
    int32 Code = 0;
    bool Persistent = false;
};
struct FNakamaNotificationList
{
    TArray<FNakamaNotification> Notifications;
    FString CacheableCursor;
};
struct FNakamaMatchmakerTicket
{
    FString TicketId;
};

class UNakamaSession : public UObject
{
    STANDIN_UCLASS(UNakamaSession, UObject);
    const FString GetUserId() const;
    const FString GetUsername() const;
    bool IsExpired() const;
};

class UNakamaRealtimeClient;
class UNakamaClient : public UObject
{
    STANDIN_UCLASS(UNakamaClient, UObject);
    static UNakamaClient* CreateDefaultClient(const FString& ServerKey = "defaultkey", const FString& Host = "localhost",
        int32 Port = 7350, bool UseSSL = false, bool EnableDebug = true);
    void AuthenticateDevice(const FString& DeviceId, const TOptional<bool> bCreate, const TOptional<FString>& Username,
        const TMap<FString, FString>& Vars, const TFunction<void(UNakamaSession* UserSession)>& SuccessCallback,
        const TFunction<void(const FNakamaError& Error)>& ErrorCallback);
    UNakamaRealtimeClient* SetupRealtimeClient();
    void Disconnect();
};

DECLARE_MULTICAST_DELEGATE_OneParam(FOnReceivedNotificationNative, const FNakamaNotificationList&);

class UNakamaRealtimeClient : public UObject
{
    STANDIN_UCLASS(UNakamaRealtimeClient, UObject);
    void Connect(UNakamaSession* Session, bool bCreateStatus, const TFunction<void()>& Success = nullptr,
        const TFunction<void(const FNakamaRtError& Error)>& ConnectionError = nullptr);
    void Disconnect(); // only when connected; otherwise it logs a warning and does nothing
    void Destroy();    // stops callbacks and closes the socket now (ConditionalBeginDestroy)
    bool IsConnected() const;
    void AddMatchmaker(TOptional<int32>& MinCount, TOptional<int32>& MaxCount, const TOptional<FString>& Query,
        const TMap<FString, FString>& StringProperties, const TMap<FString, double>& NumericProperties,
        const TOptional<int32>& CountMultiple,
        const TFunction<void(const FNakamaMatchmakerTicket& MatchmakerTicket)>& SuccessCallback,
        const TFunction<void(const FNakamaRtError& Error)>& ErrorCallback);
    void RemoveMatchmaker(const FString& Ticket, const TFunction<void()>& SuccessCallback,
        const TFunction<void(const FNakamaRtError& Error)>& ErrorCallback);

    FOnReceivedNotificationNative NotificationReceivedNative;
};
