#include "TowerSettings.h"

#include "GenericPlatform/GenericPlatformMisc.h"
#include "HAL/PlatformMisc.h"
#include "TowerCoreIncludes.h"

UTowerSettings::UTowerSettings()
{
	SectionName = TEXT("Tower");
}

bool UTowerSettings::GetServerAddress(FString& OutAddress, FString& OutError) const
{
	if (ServerPort < 1 || ServerPort > 65535)
	{
		OutError = FString::Printf(TEXT("Tower settings: server port %d is not 1..65535"), ServerPort);
		return false;
	}
	const std::optional<std::string> Address =
		tower::format_server_address(TowerToStd(ServerHost.TrimStartAndEnd()), static_cast<std::uint16_t>(ServerPort));
	if (!Address)
	{
		OutError = FString::Printf(TEXT("Tower settings: server host '%s' is empty or has spaces or control characters"), *ServerHost);
		return false;
	}
	OutAddress = TowerToFString(*Address);
	return true;
}

FString UTowerSettings::GetEffectiveDeviceId() const
{
	return DeviceId.IsEmpty() ? FPlatformMisc::GetLoginId() : DeviceId;
}
