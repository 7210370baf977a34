// TowerGame runtime module: loads tower_ffi from the plugin's Binaries and refuses to use it
// when its ABI version differs from the tower.h this plugin was compiled against.
#pragma once

#include "CoreMinimal.h"
#include "Modules/ModuleInterface.h"

// One log category per area, exported so game modules can raise or filter them
// (`Log LogTowerNet Verbose` in the console, or [Core.Log] in an .ini):
//   LogTower        the module: loading tower_ffi, its ABI and self-test
//   LogTowerNet     the game-server connection (UTowerClientSubsystem)
//   LogTowerFloor   floor building and the editor preview
//   LogTowerNakama  Nakama login and matchmaking (UTowerMatchmaker)
TOWERGAME_API DECLARE_LOG_CATEGORY_EXTERN(LogTower, Log, All);
TOWERGAME_API DECLARE_LOG_CATEGORY_EXTERN(LogTowerNet, Log, All);
TOWERGAME_API DECLARE_LOG_CATEGORY_EXTERN(LogTowerFloor, Log, All);
TOWERGAME_API DECLARE_LOG_CATEGORY_EXTERN(LogTowerNakama, Log, All);

class TOWERGAME_API FTowerGameModule : public IModuleInterface
{
public:
	virtual void StartupModule() override;
	virtual void ShutdownModule() override;

	// True once the library is loaded and speaks our ABI. Every glue class checks this
	// before its first tower_* call: with delay loading (Win64, Mac), calling into a
	// library that failed to load would crash instead of failing.
	static bool IsLibraryReady();
	// Why the library is not ready (empty when it is).
	static FString GetLibraryError();
	// The library's ABI version (0 when it could not be loaded) and the header's.
	static uint32 GetLibraryAbiVersion();
	static uint32 GetHeaderAbiVersion();

private:
	void* LibraryHandle = nullptr;
	static bool bLibraryReady;
	static uint32 LibraryAbiVersion;
	static FString LibraryError;
};
