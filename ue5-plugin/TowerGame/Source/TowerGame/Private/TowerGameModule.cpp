#include "TowerGameModule.h"

#include "Engine/GameInstance.h"
#include "Engine/World.h"
#include "HAL/IConsoleManager.h"
#include "HAL/PlatformProcess.h"
#include "Interfaces/IPluginManager.h"
#include "Misc/Paths.h"
#include "Modules/ModuleManager.h"
#include "TowerClientSubsystem.h"
#include "TowerCoreIncludes.h"

DEFINE_LOG_CATEGORY(LogTower);
DEFINE_LOG_CATEGORY(LogTowerNet);
DEFINE_LOG_CATEGORY(LogTowerFloor);
DEFINE_LOG_CATEGORY(LogTowerNakama);

bool FTowerGameModule::bLibraryReady = false;
uint32 FTowerGameModule::LibraryAbiVersion = 0;
FString FTowerGameModule::LibraryError = TEXT("TowerGame module not started");

namespace
{
	// Where scripts/stage-ue5-plugin.sh puts the library (see TowerFFI.Build.cs).
	FString TowerLibraryPath()
	{
		const TSharedPtr<IPlugin> Plugin = IPluginManager::Get().FindPlugin(TEXT("TowerGame"));
		const FString BaseDir = Plugin.IsValid() ? Plugin->GetBaseDir() : FString();
		const FString Dir = FPaths::Combine(BaseDir, TEXT("Binaries"), TEXT("ThirdParty"), TEXT("TowerFFI"));
#if PLATFORM_WINDOWS
		return FPaths::Combine(Dir, TEXT("Win64"), TEXT("tower_ffi.dll"));
#elif PLATFORM_MAC
		return FPaths::Combine(Dir, TEXT("Mac"), TEXT("libtower_ffi.dylib"));
#elif PLATFORM_LINUX && PLATFORM_CPU_ARM_FAMILY
		return FPaths::Combine(Dir, TEXT("Linux"), TEXT("aarch64-unknown-linux-gnueabi"), TEXT("libtower_ffi.so"));
#elif PLATFORM_LINUX
		return FPaths::Combine(Dir, TEXT("Linux"), TEXT("x86_64-unknown-linux-gnu"), TEXT("libtower_ffi.so"));
#else
		return FString();
#endif
	}

	// `Tower.NetStats`: one line about the connection of the world's game instance.
	void TowerNetStatsCommand(UWorld* World)
	{
		const UGameInstance* GameInstance = World != nullptr ? World->GetGameInstance() : nullptr;
		const UTowerClientSubsystem* Tower =
			GameInstance != nullptr ? GameInstance->GetSubsystem<UTowerClientSubsystem>() : nullptr;
		if (Tower == nullptr)
		{
			UE_LOG(LogTowerNet, Display, TEXT("Tower.NetStats: no game instance here (run it in Play In Editor or a game)"));
			return;
		}
		UE_LOG(LogTowerNet, Display, TEXT("%s"), *Tower->GetNetStatsLine());
	}

	FAutoConsoleCommandWithWorld GTowerNetStatsCommand(
		TEXT("Tower.NetStats"),
		TEXT("Logs the Tower connection: phase, server, player, floor, entities in view, events, time since the last event."),
		FConsoleCommandWithWorldDelegate::CreateStatic(&TowerNetStatsCommand));
}

void FTowerGameModule::StartupModule()
{
	bLibraryReady = false;
	LibraryAbiVersion = 0;
	const FString Path = TowerLibraryPath();
	LibraryHandle = Path.IsEmpty() ? nullptr : FPlatformProcess::GetDllHandle(*Path);
	if (LibraryHandle == nullptr)
	{
		LibraryError = FString::Printf(
			TEXT("Tower: could not load tower_ffi from '%s'. Run scripts/stage-ue5-plugin.sh (docs/unreal.md)."), *Path);
		UE_LOG(LogTower, Error, TEXT("%s"), *LibraryError);
		return;
	}

	// Ask through GetDllExport rather than the import table: this works even when the
	// library on disk is so old that other symbols would not resolve.
	using FAbiVersionFn = uint32_t (*)();
	const FAbiVersionFn AbiVersion =
		reinterpret_cast<FAbiVersionFn>(FPlatformProcess::GetDllExport(LibraryHandle, TEXT("tower_abi_version")));
	const uint32 Library = AbiVersion != nullptr ? AbiVersion() : 0;
	LibraryAbiVersion = Library;
	if (Library != TOWER_ABI_VERSION)
	{
		LibraryError = FString::Printf(
			TEXT("Tower: refusing tower_ffi at '%s': it speaks ABI version %u but this plugin was built against tower.h version %u. Rebuild the library and the plugin from the same commit (scripts/stage-ue5-plugin.sh)."),
			*Path, Library, static_cast<uint32>(TOWER_ABI_VERSION));
		UE_LOG(LogTower, Error, TEXT("%s"), *LibraryError);
		FPlatformProcess::FreeDllHandle(LibraryHandle);
		LibraryHandle = nullptr;
		return;
	}

	// A library that builds other floors than the server (a miscompile, a mismatched build)
	// must never hand out or accept floors: refuse it here, with the library's own reason.
	if (tower_self_test() != TOWER_STATUS_OK)
	{
		LibraryError = FString::Printf(
			TEXT("Tower: refusing tower_ffi at '%s': %s"), *Path, UTF8_TO_TCHAR(tower_last_error()));
		UE_LOG(LogTower, Error, TEXT("%s"), *LibraryError);
		FPlatformProcess::FreeDllHandle(LibraryHandle);
		LibraryHandle = nullptr;
		return;
	}

	bLibraryReady = true;
	LibraryError.Reset();
	UE_LOG(LogTower, Log, TEXT("Tower: loaded tower_ffi ABI %u (procgen generator %u) from %s"),
		Library, tower_generator_version(), *Path);
}

void FTowerGameModule::ShutdownModule()
{
	bLibraryReady = false;
	if (LibraryHandle != nullptr)
	{
		FPlatformProcess::FreeDllHandle(LibraryHandle);
		LibraryHandle = nullptr;
	}
}

bool FTowerGameModule::IsLibraryReady()
{
	return bLibraryReady;
}

FString FTowerGameModule::GetLibraryError()
{
	return LibraryError;
}

uint32 FTowerGameModule::GetLibraryAbiVersion()
{
	return LibraryAbiVersion;
}

uint32 FTowerGameModule::GetHeaderAbiVersion()
{
	return static_cast<uint32>(TOWER_ABI_VERSION);
}

IMPLEMENT_MODULE(FTowerGameModule, TowerGame)
