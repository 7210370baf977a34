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
		// A speed-up only: UnrealBuildTool force-includes it when PCHs are in use, and every
		// file also includes what it uses (tower.h always through TowerFfiHeader.h, which
		// silences MSVC C4668 for its `#if __STDC_VERSION__` lines), so builds without PCHs
		// compile too.
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

	// How deep below a Plugins folder a Nakama.uplugin is looked for: Plugins/Nakama (1),
	// Engine/Plugins/Marketplace/Nakama (2), a vendor or Fab folder one level more (3), and
	// one to spare. Bounded so a big engine tree is not walked to its leaves.
	private const int NakamaSearchDepth = 4;

	// True when a Nakama.uplugin is in the project's Plugins or anywhere in the engine's
	// Plugins (Marketplace, Fab or a custom folder), to NakamaSearchDepth folders down; its
	// "VersionName" goes to OutVersion (null when unreadable), its text to OutDescriptor.
	// TOWER_WITH_NAKAMA=0/1 overrides the result. The decision is always printed.
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
		Roots.Add(Path.Combine(EngineDirectory, "Plugins"));
		string FoundAt = null;
		foreach (string Root in Roots)
		{
			FoundAt = FindPluginDescriptor(Root, "Nakama.uplugin", NakamaSearchDepth);
			if (FoundAt != null)
			{
				break;
			}
		}
		if (FoundAt != null)
		{
			OutDescriptor = File.ReadAllText(FoundAt);
			Match M = Regex.Match(OutDescriptor, "\"VersionName\"\\s*:\\s*\"([^\"]*)\"");
			OutVersion = M.Success ? M.Groups[1].Value : null;
		}
		string Where = FoundAt != null
			? "found nakama-unreal " + (OutVersion ?? "(no VersionName)") + " at " + FoundAt
			: "no Nakama.uplugin under " + string.Join(" or ", Roots);
		if (!string.IsNullOrEmpty(Forced))
		{
			Console.WriteLine("TowerGame: Nakama: " + Where + "; TOWER_WITH_NAKAMA=" + Forced + " decides: matchmaking " +
				(Forced == "1" ? "compiled in" : "compiled out"));
			return Forced == "1";
		}
		Console.WriteLine("TowerGame: Nakama: " + Where + "; matchmaking " +
			(FoundAt != null ? "compiled in unless the checks below say otherwise" : "compiled out") +
			" (set TOWER_WITH_NAKAMA=0/1 to override; RunUAT BuildPlugin needs TOWER_WITH_NAKAMA=1)");
		return FoundAt != null;
	}

	// The first file named FileName in Root or its subfolders, at most Depth folders down;
	// another plugin's folder (one with a .uplugin) is not entered, nor folders named
	// Binaries, Intermediate, Saved or starting with '.'. Null when there is none.
	private static string FindPluginDescriptor(string Root, string FileName, int Depth)
	{
		if (!Directory.Exists(Root))
		{
			return null;
		}
		string Here = Path.Combine(Root, FileName);
		if (File.Exists(Here))
		{
			return Here;
		}
		string[] Children;
		try
		{
			if (Depth <= 0 || Directory.GetFiles(Root, "*.uplugin").Length > 0)
			{
				return null; // too deep, or another plugin's folder (plugins do not nest)
			}
			Children = Directory.GetDirectories(Root);
		}
		catch (Exception)
		{
			return null; // unreadable folder: not ours to report
		}
		Array.Sort(Children, StringComparer.OrdinalIgnoreCase);
		foreach (string Child in Children)
		{
			string Name = Path.GetFileName(Child);
			if (Name.StartsWith(".") || Name == "Binaries" || Name == "Intermediate" || Name == "Saved")
			{
				continue;
			}
			string Found = FindPluginDescriptor(Child, FileName, Depth - 1);
			if (Found != null)
			{
				return Found;
			}
		}
		return null;
	}
}
