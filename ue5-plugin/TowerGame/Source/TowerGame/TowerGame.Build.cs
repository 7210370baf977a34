// The TowerGame runtime module: the engine-free core (Public/TowerCore, Private/TowerCore;
// plain C++17, also built and tested by ue5-plugin/core/CMakeLists.txt) and the thin Unreal
// glue around it (module startup, floor component, client subsystem, entity component,
// optional Nakama matchmaking).
using System;
using System.IO;
using UnrealBuildTool;

public class TowerGame : ModuleRules
{
	public TowerGame(ReadOnlyTargetRules Target) : base(Target)
	{
		PCHUsage = PCHUsageMode.UseExplicitOrSharedPCHs;

		PublicDependencyModuleNames.AddRange(new string[]
		{
			"Core",
			"CoreUObject",
			"Engine",
			"ProceduralMeshComponent",
			"TowerFFI",
		});
		PrivateDependencyModuleNames.AddRange(new string[]
		{
			"Projects", // IPluginManager: where the plugin (and its Binaries) lives
			"Json",     // the Nakama match notification's content
		});

		// Nakama (Heroic Labs' nakama-unreal plugin, plugin name "Nakama") is optional: the
		// matchmaking glue compiles only when the plugin is present. Override the detection
		// with the environment variable TOWER_WITH_NAKAMA=0 or 1.
		bool bWithNakama = DetectNakama(Target);
		if (bWithNakama)
		{
			PrivateDependencyModuleNames.Add("NakamaUnreal");
		}
		PublicDefinitions.Add("WITH_TOWER_NAKAMA=" + (bWithNakama ? "1" : "0"));
	}

	private bool DetectNakama(ReadOnlyTargetRules Target)
	{
		string Forced = Environment.GetEnvironmentVariable("TOWER_WITH_NAKAMA");
		if (!string.IsNullOrEmpty(Forced))
		{
			return Forced == "1";
		}
		var Roots = new System.Collections.Generic.List<string>();
		if (Target.ProjectFile != null)
		{
			Roots.Add(Path.Combine(Target.ProjectFile.Directory.FullName, "Plugins"));
		}
		Roots.Add(Path.Combine(EngineDirectory, "Plugins", "Marketplace"));
		foreach (string Root in Roots)
		{
			if (Directory.Exists(Root) &&
				Directory.GetFiles(Root, "Nakama.uplugin", SearchOption.AllDirectories).Length > 0)
			{
				return true;
			}
		}
		return false;
	}
}
