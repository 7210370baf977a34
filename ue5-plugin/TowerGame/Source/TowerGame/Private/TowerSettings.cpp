#include "TowerSettings.h"

#include "GenericPlatform/GenericPlatformMisc.h"
#include "HAL/PlatformMisc.h"
#include "TowerCoreIncludes.h"

UTowerSettings::UTowerSettings()
{
	SectionName = TEXT("Tower");
}

UTowerUserSettings::UTowerUserSettings()
{
	SectionName = TEXT("Tower");
}

bool UTowerSettings::GetServerAddress(FString& OutAddress, FString& OutError) const
{
	const UTowerUserSettings* User = UTowerUserSettings::Get();
	const bool bUser = User->bOverrideServer;
	const FString& Host = bUser ? User->ServerHost : ServerHost;
	const int32 Port = bUser ? User->ServerPort : ServerPort;
	const TCHAR* Where = bUser ? TEXT("Editor Preferences > Tower") : TEXT("Project Settings > Tower");
	if (Port < 1 || Port > 65535)
	{
		OutError = FString::Printf(TEXT("Tower settings: server port %d is not 1..65535 (%s)"), Port, Where);
		return false;
	}
	const std::optional<std::string> Address =
		tower::format_server_address(TowerToStd(Host.TrimStartAndEnd()), static_cast<std::uint16_t>(Port));
	if (!Address)
	{
		OutError = FString::Printf(TEXT("Tower settings: server host '%s' is empty or has spaces or control characters (%s)"), *Host, Where);
		return false;
	}
	OutAddress = TowerToFString(*Address);
	return true;
}

FString UTowerSettings::GetEffectiveFingerprint() const
{
	const FString& Own = UTowerUserSettings::Get()->Fingerprint;
	return Own.TrimStartAndEnd().IsEmpty() ? Fingerprint : Own;
}

FString UTowerSettings::GetEffectiveDevName() const
{
	const FString& Own = UTowerUserSettings::Get()->DevName;
	return Own.TrimStartAndEnd().IsEmpty() ? DevName : Own;
}

FString UTowerSettings::GetEffectiveDeviceId() const
{
	return DeviceId.IsEmpty() ? FPlatformMisc::GetLoginId() : DeviceId;
}
