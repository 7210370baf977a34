// A distinct identity per Play-In-Editor instance. Every PIE client of one editor reads the
// same Project Settings, so without this they all log in with one dev name and one Nakama
// device id, and each new login replaces the previous one on the server. Instance 0 (and a
// game outside PIE, instance -1) keeps the configured identity; instance N >= 1 gets the
// suffix "-pieN", the base shortened so the result still fits the login's length limit.
// With "Run Under One Process" off, each PIE client is its own `-game` process whose world
// is a Game world, not PIE; InstanceFromCommandLine finds its instance on the command line.
// Plain C++ (std only), so scripts/test.d/65-unreal-checks.sh runs its checks natively.
#pragma once

#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>

namespace tower_glue
{
	// The server's dev-name limit (meta/src/dev.rs) and Nakama's device-id limit.
	inline constexpr std::size_t MaxDevNameBytes = 32;
	inline constexpr std::size_t MaxDeviceIdBytes = 128;

	inline std::string WithPieSuffix(const std::string& Base, int PieInstance, std::size_t MaxBytes)
	{
		if (PieInstance < 1)
		{
			return Base;
		}
		const std::string Suffix = "-pie" + std::to_string(PieInstance);
		if (Suffix.size() >= MaxBytes)
		{
			return Base;
		}
		const std::size_t Keep = Base.size() + Suffix.size() > MaxBytes ? MaxBytes - Suffix.size() : Base.size();
		return Base.substr(0, Keep) + Suffix;
	}

	namespace Detail
	{
		inline std::string Lower(std::string_view Text)
		{
			std::string Out(Text);
			for (char& C : Out)
			{
				C = static_cast<char>(std::tolower(static_cast<unsigned char>(C)));
			}
			return Out;
		}

		// The decimal number right after Key in Text (already lower-case), or -1.
		inline int NumberAfter(const std::string& Text, std::string_view Key)
		{
			const std::size_t At = Text.find(Key);
			if (At == std::string::npos)
			{
				return -1;
			}
			long long Value = -1;
			for (std::size_t I = At + Key.size(); I < Text.size() && std::isdigit(static_cast<unsigned char>(Text[I])); ++I)
			{
				Value = (Value < 0 ? 0 : Value) * 10 + (Text[I] - '0');
				if (Value > 1000000)
				{
					return -1; // not an instance number
				}
			}
			return static_cast<int>(Value);
		}

		inline bool HasSwitch(const std::string& Text, std::string_view Switch)
		{
			for (std::size_t At = Text.find(Switch); At != std::string::npos; At = Text.find(Switch, At + 1))
			{
				const bool StartsToken = At == 0 || Text[At - 1] == ' ' || Text[At - 1] == '\t' || Text[At - 1] == '"';
				const std::size_t End = At + Switch.size();
				const bool EndsToken = End == Text.size() || Text[End] == ' ' || Text[End] == '\t' || Text[End] == '"';
				if (StartsToken && EndsToken)
				{
					return true;
				}
			}
			return false;
		}
	}

	// The instance a game process plays as, read from its command line (case-insensitive):
	// `-TowerInstance=N` when given (clients started by hand or by a script); otherwise, in a
	// process the editor started for Play In Editor with "Run Under One Process" off (it
	// passes -PIEVIACONSOLE and GameUserSettingsINI=...PIEGameUserSettings<N>...), that N;
	// otherwise, under -PIEVIACONSOLE, FallbackInstance (the caller passes the process id),
	// so two such processes never share an identity; else -1 (a game: as configured).
	inline int InstanceFromCommandLine(std::string_view CommandLine, int FallbackInstance)
	{
		const std::string Text = Detail::Lower(CommandLine);
		const int Given = Detail::NumberAfter(Text, "-towerinstance=");
		if (Given >= 0)
		{
			return Given;
		}
		if (!Detail::HasSwitch(Text, "-pieviaconsole"))
		{
			return -1;
		}
		const int Pie = Detail::NumberAfter(Text, "piegameusersettings");
		return Pie >= 0 ? Pie : FallbackInstance;
	}
}
