// The TowerGame runtime module: the engine-free core (Public/TowerCore, Private/TowerCore;
// plain C++20, also built and tested by ue5-plugin/core/CMakeLists.txt) and the thin Unreal
// glue around it (settings, subsystem, components, preview actor, async nodes, demo game
// mode, optional Nakama matchmaking, automation tests). Every glue file is also compiled
// without Unreal against ue5-plugin/standin by scripts/test.d/65-unreal-checks.sh.
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
		// Force-included ahead of every source file: tower.h is first seen through
		// TowerFfiHeader.h, which silences MSVC C4668 (an error under UE 5.7's
		// BuildSettingsVersion.V6) for its `#if __STDC_VERSION__` lines.
		PrivatePCHHeaderFile = "Private/TowerGamePCH.h";

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
			"Projects",      // IPluginManager: where the plugin (and its Binaries) lives
			"InputCore",     // EKeys, for the demo pawn
			"EnhancedInput", // the demo pawn's input actions (plugin dependency in the .uplugin)
		});

		// Nakama (Heroic Labs' nakama-unreal plugin, plugin name "Nakama") is optional: the
		// matchmaking glue compiles only when the plugin is present and new enough. Override
		// the detection with the environment variable TOWER_WITH_NAKAMA=0 or 1.
		string NakamaVersion;
		string NakamaDescriptor;
		bool bWithNakama = DetectNakama(Target, out NakamaVersion, out NakamaDescriptor);
		bool bNakamaTooOld = false;
		// nakama-unreal lists the platforms its NakamaUnreal module builds for (2.11:
		// Win64, Linux, IOS, Mac, Android; no LinuxArm64). On any other platform the module
		// does not exist, and depending on it would fail the build.
		if (bWithNakama && NakamaDescriptor != null && !NakamaModuleSupports(NakamaDescriptor, Target.Platform.ToString()))
		{
			bWithNakama = false;
			Console.WriteLine("TowerGame: nakama-unreal's NakamaUnreal module does not list " + Target.Platform +
				"; Tower matchmaking is compiled out on this platform (its nodes report why).");
		}
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

	// Whether the NakamaUnreal module of a Nakama.uplugin builds for Platform: true when the
	// module has no allow list (PlatformAllowList, or WhitelistPlatforms in older
	// descriptors) or lists the platform.
	private static bool NakamaModuleSupports(string Descriptor, string Platform)
	{
		Match Module = Regex.Match(Descriptor, "\\{[^{}]*\"Name\"\\s*:\\s*\"NakamaUnreal\"[^{}]*\\}");
		if (!Module.Success)
		{
			return false; // no NakamaUnreal module at all
		}
		Match List = Regex.Match(Module.Value, "\"(?:PlatformAllowList|WhitelistPlatforms)\"\\s*:\\s*\\[([^\\]]*)\\]");
		if (!List.Success)
		{
			return true;
		}
		foreach (Match Name in Regex.Matches(List.Groups[1].Value, "\"([^\"]+)\""))
		{
			if (Name.Groups[1].Value == Platform)
			{
				return true;
			}
		}
		return false;
	}

	// True when a Nakama.uplugin is in the project's or the engine's plugins; its
	// "VersionName" goes to OutVersion (null when unreadable), its text to OutDescriptor.
	private bool DetectNakama(ReadOnlyTargetRules Target, out string OutVersion, out string OutDescriptor)
	{
		OutVersion = null;
		OutDescriptor = null;
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
				OutDescriptor = File.ReadAllText(Found[0]);
				Match M = Regex.Match(OutDescriptor, "\"VersionName\"\\s*:\\s*\"([^\"]*)\"");
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
