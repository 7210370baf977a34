// The tower_ffi C ABI (Rust cdylib) as an external module: header + per-platform library.
// scripts/stage-ue5-plugin.sh puts them where this file looks:
//   Source/ThirdParty/TowerFFI/include/tower.h
//   Binaries/ThirdParty/TowerFFI/Win64/tower_ffi.dll + tower_ffi.dll.lib
//   Binaries/ThirdParty/TowerFFI/Mac/libtower_ffi.dylib
//   Binaries/ThirdParty/TowerFFI/Linux/x86_64-unknown-linux-gnu/libtower_ffi.so
// The TowerGame module loads the library at startup (FPlatformProcess::GetDllHandle) and
// checks its ABI version before any other call.
using System.IO;
using UnrealBuildTool;

public class TowerFFI : ModuleRules
{
	public TowerFFI(ReadOnlyTargetRules Target) : base(Target)
	{
		Type = ModuleType.External;

		string IncludeDir = Path.Combine(ModuleDirectory, "include");
		RequireFile(Path.Combine(IncludeDir, "tower.h"));
		PublicIncludePaths.Add(IncludeDir);

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
		else if (Target.Platform == UnrealTargetPlatform.Linux)
		{
			// Built with SONAME libtower_ffi.so (ffi/build.rs), so the link records the name,
			// not the build machine's path.
			string So = RequireFile(Path.Combine(BinDir, "Linux", "x86_64-unknown-linux-gnu", "libtower_ffi.so"));
			PublicAdditionalLibraries.Add(So);
			PublicDelayLoadDLLs.Add(So);
			RuntimeDependencies.Add(So);
		}
		else
		{
			throw new BuildException("TowerFFI: no tower_ffi build for platform " + Target.Platform +
				" (supported: Win64, Mac, Linux)");
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
