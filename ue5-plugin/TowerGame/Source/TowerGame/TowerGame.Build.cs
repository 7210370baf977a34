// The TowerGame runtime module: the engine-free core (Public/TowerCore, Private/TowerCore;
// plain C++17, also built and tested by ue5-plugin/core/CMakeLists.txt) and the thin Unreal
// glue around it (settings, subsystem, components, preview actor, async nodes, demo game
// mode, optional Nakama matchmaking, automation tests).
using System;
using System.IO;
using System.Text.RegularExpressions;
using UnrealBuildTool;

public class TowerGame : ModuleRules
{
	// NotificationReceivedNative (a native multicast delegate the matchmaker binds to)
	// first appeared in nakama-unreal 2.11.0.
	private static readonly System.Version MinNakamaVersion = new System.Version(2, 11, 0);

	public TowerGame(ReadOnlyTargetRules Target) : base(Target)
	{
		PCHUsage = PCHUsageMode.UseExplicitOrSharedPCHs;

		PublicDependencyModuleNames.AddRange(new string[]
		{
			"Core",
			"CoreUObject",
			"Engine",
			"DeveloperSettings", // UTowerSettings: the Project Settings page
			"ProceduralMeshComponent",
			"TowerFFI",
		});
		PrivateDependencyModuleNames.AddRange(new string[]
		{
			"Projects",  // IPluginManager: where the plugin (and its Binaries) lives
			"InputCore", // EKeys, for the demo pawn
		});

		// Nakama (Heroic Labs' nakama-unreal plugin, plugin name "Nakama") is optional: the
		// matchmaking glue compiles only when the plugin is present and new enough. Override
		// the detection with the environment variable TOWER_WITH_NAKAMA=0 or 1.
		string NakamaVersion;
		bool bWithNakama = DetectNakama(Target, out NakamaVersion);
		bool bNakamaTooOld = false;
		if (bWithNakama && NakamaVersion != null && !IsRecentEnough(NakamaVersion))
		{
			bWithNakama = false;
			bNakamaTooOld = true;
			Console.WriteLine("TowerGame: warning: nakama-unreal " + NakamaVersion + " is older than " +
				MinNakamaVersion + "; Tower matchmaking is compiled out (its nodes report why). " +
				"Update the Nakama plugin to " + MinNakamaVersion + " or newer.");
		}
		if (bWithNakama)
		{
			PrivateDependencyModuleNames.Add("NakamaUnreal");
		}
		PublicDefinitions.Add("WITH_TOWER_NAKAMA=" + (bWithNakama ? "1" : "0"));
		PrivateDefinitions.Add("TOWER_NAKAMA_TOO_OLD=" + (bNakamaTooOld ? "1" : "0"));
	}

	private static bool IsRecentEnough(string VersionName)
	{
		Match M = Regex.Match(VersionName, @"^(\d+)\.(\d+)(?:\.(\d+))?");
		if (!M.Success)
		{
			return true; // an unknown scheme: let the compiler decide
		}
		int Patch = M.Groups[3].Success ? int.Parse(M.Groups[3].Value) : 0;
		System.Version Found = new System.Version(int.Parse(M.Groups[1].Value), int.Parse(M.Groups[2].Value), Patch);
		return Found >= MinNakamaVersion;
	}

	// True when a Nakama.uplugin is in the project's or the engine's plugins; its
	// "VersionName" goes to OutVersion (null when unreadable).
	private bool DetectNakama(ReadOnlyTargetRules Target, out string OutVersion)
	{
		OutVersion = null;
		string Forced = Environment.GetEnvironmentVariable("TOWER_WITH_NAKAMA");
		var Roots = new System.Collections.Generic.List<string>();
		if (Target.ProjectFile != null)
		{
			Roots.Add(Path.Combine(Target.ProjectFile.Directory.FullName, "Plugins"));
		}
		Roots.Add(Path.Combine(EngineDirectory, "Plugins", "Marketplace"));
		bool bFound = false;
		foreach (string Root in Roots)
		{
			if (!Directory.Exists(Root))
			{
				continue;
			}
			string[] Found = Directory.GetFiles(Root, "Nakama.uplugin", SearchOption.AllDirectories);
			if (Found.Length > 0)
			{
				bFound = true;
				Match M = Regex.Match(File.ReadAllText(Found[0]), "\"VersionName\"\\s*:\\s*\"([^\"]*)\"");
				OutVersion = M.Success ? M.Groups[1].Value : null;
				break;
			}
		}
		if (!string.IsNullOrEmpty(Forced))
		{
			return Forced == "1";
		}
		return bFound;
	}
}
