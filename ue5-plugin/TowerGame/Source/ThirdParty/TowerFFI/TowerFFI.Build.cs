// The tower_ffi C ABI (Rust cdylib) as an external module: header + per-platform library.
// scripts/stage-ue5-plugin.sh puts them where this file looks:
//   Source/ThirdParty/TowerFFI/include/tower.h
//   Binaries/ThirdParty/TowerFFI/Win64/tower_ffi.dll + tower_ffi.dll.lib
//   Binaries/ThirdParty/TowerFFI/Mac/libtower_ffi.dylib              (universal arm64 + x86_64)
//   Binaries/ThirdParty/TowerFFI/Linux/x86_64-unknown-linux-gnu/libtower_ffi.so
//   Binaries/ThirdParty/TowerFFI/Linux/aarch64-unknown-linux-gnueabi/libtower_ffi.so
// The TowerGame module loads the library at startup (FPlatformProcess::GetDllHandle) and
// checks its ABI version before any other call.
//
// Loading differs per platform, and it matters when the library is missing at run time:
// - Win64 and Mac delay-load it: the module starts, logs "could not load tower_ffi" and
//   every Tower node fails with that message (FTowerGameModule::IsLibraryReady()).
// - Linux has no delay loading: the module records libtower_ffi.so as a hard dependency
//   (DT_NEEDED, found through the RPATH below), so a missing .so stops the TowerGame module
//   from loading at all, with the dynamic loader's message in the log. The build itself
//   refuses to start without the file, so this only happens when a packaged game lost it.
using System.IO;
using UnrealBuildTool;

public class TowerFFI : ModuleRules
{
	public TowerFFI(ReadOnlyTargetRules Target) : base(Target)
	{
		Type = ModuleType.External;

		string IncludeDir = Path.Combine(ModuleDirectory, "include");
		RequireFile(Path.Combine(IncludeDir, "tower.h"));
		PublicSystemIncludePaths.Add(IncludeDir);

		string BinDir = Path.Combine(PluginDirectory, "Binaries", "ThirdParty", "TowerFFI");
		if (Target.Platform == UnrealTargetPlatform.Win64)
		{
			string Dir = Path.Combine(BinDir, "Win64");
			PublicAdditionalLibraries.Add(RequireFile(Path.Combine(Dir, "tower_ffi.dll.lib")));
			// Resolved on first call, after the module has loaded the DLL from the plugin's
			// Binaries folder by full path; the exe's search path never needs to contain it.
			PublicDelayLoadDLLs.Add("tower_ffi.dll");
			RuntimeDependencies.Add(RequireFile(Path.Combine(Dir, "tower_ffi.dll")));
		}
		else if (Target.Platform == UnrealTargetPlatform.Mac)
		{
			// Universal (arm64 + x86_64) dylib with install name @rpath/libtower_ffi.dylib.
			string Dylib = RequireFile(Path.Combine(BinDir, "Mac", "libtower_ffi.dylib"));
			PublicDelayLoadDLLs.Add(Dylib);
			RuntimeDependencies.Add(Dylib);
		}
		else if (Target.Platform == UnrealTargetPlatform.Linux || Target.Platform == UnrealTargetPlatform.LinuxArm64)
		{
			// Built with SONAME libtower_ffi.so (ffi/build.rs), so the link records the name,
			// not the build machine's path; PublicRuntimeLibraryPaths puts the staged folder
			// on the RPATH of the module (relative to it in packaged builds).
			string Arch = Target.Platform == UnrealTargetPlatform.LinuxArm64
				? "aarch64-unknown-linux-gnueabi"
				: "x86_64-unknown-linux-gnu";
			string Dir = Path.Combine(BinDir, "Linux", Arch);
			string So = RequireFile(Path.Combine(Dir, "libtower_ffi.so"));
			PublicAdditionalLibraries.Add(So);
			PublicRuntimeLibraryPaths.Add(Dir);
			RuntimeDependencies.Add(So);
		}
		else
		{
			throw new BuildException("TowerFFI: no tower_ffi build for platform " + Target.Platform +
				" (supported: Win64, Mac, Linux, LinuxArm64)");
		}
	}

	// Fails the build with the fix in the message instead of a linker error later.
	private static string RequireFile(string FilePath)
	{
		if (!File.Exists(FilePath))
		{
			throw new BuildException("TowerFFI: missing " + FilePath +
				". Build and stage the library first: scripts/stage-ue5-plugin.sh (see docs/unreal.md).");
		}
		return FilePath;
	}
}
