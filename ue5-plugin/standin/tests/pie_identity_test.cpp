// Checks of the plain-C++ rule in Public/TowerPieIdentity.h (distinct Play-In-Editor
// identities); built and run natively by scripts/test.d/65-unreal-checks.sh.
#include "TowerPieIdentity.h"

#include <cstdio>
#include <string>

namespace
{
	int Failures = 0;

	void Expect(const std::string& Got, const std::string& Want, const char* What)
	{
		if (Got != Want)
		{
			std::printf("FAIL %s: got '%s', want '%s'\n", What, Got.c_str(), Want.c_str());
			++Failures;
		}
	}
}

int main()
{
	using tower_glue::WithPieSuffix;
	Expect(WithPieSuffix("UnrealPlayer", -1, 32), "UnrealPlayer", "outside PIE: as configured");
	Expect(WithPieSuffix("UnrealPlayer", 0, 32), "UnrealPlayer", "first PIE client: as configured");
	Expect(WithPieSuffix("UnrealPlayer", 1, 32), "UnrealPlayer-pie1", "second PIE client");
	Expect(WithPieSuffix("UnrealPlayer", 12, 32), "UnrealPlayer-pie12", "thirteenth PIE client");
	const std::string Long(32, 'n');
	Expect(WithPieSuffix(Long, 3, 32), std::string(27, 'n') + "-pie3", "a full-length name is shortened to fit");
	Expect(WithPieSuffix("dev", 2, 4), "dev", "no room for a suffix: unchanged");
	if (WithPieSuffix("device-0123456789", 1, 128) == WithPieSuffix("device-0123456789", 2, 128))
	{
		std::printf("FAIL two PIE clients share a device id\n");
		++Failures;
	}

	// "Run Under One Process" off: each PIE client is a -game process (a Game world).
	using tower_glue::InstanceFromCommandLine;
	const auto ExpectInstance = [](int Got, int Want, const char* What)
	{
		if (Got != Want)
		{
			std::printf("FAIL %s: got %d, want %d\n", What, Got, Want);
			++Failures;
		}
	};
	const char* const Client2 = "/Game/Maps/Main -game -PIEVIACONSOLE -Multiprocess "
		"GameUserSettingsINI=\"C:/P/Saved/Config/Windows/PIEGameUserSettings2.ini\" -MultiprocessSaveConfig -windowed";
	ExpectInstance(InstanceFromCommandLine(Client2, 4242), 2, "editor-started client process: its PIE instance");
	ExpectInstance(InstanceFromCommandLine("-game -pieviaconsole GameUserSettingsINI=PIEGameUserSettings0", 4242), 0,
		"first client process, lower case: instance 0 (configured identity)");
	ExpectInstance(InstanceFromCommandLine("/Game/Maps/Main -game -PIEVIACONSOLE -windowed", 4242), 4242,
		"editor-started process without the settings file: the process id");
	ExpectInstance(InstanceFromCommandLine("/Game/Maps/Main -game -windowed", 4242), -1,
		"a game started otherwise: as configured");
	ExpectInstance(InstanceFromCommandLine("-game GameUserSettingsINI=PIEGameUserSettings3", 4242), -1,
		"the settings name alone is not a PIE process");
	ExpectInstance(InstanceFromCommandLine("-game -PIEVIACONSOLEX", 4242), -1, "a longer switch is another switch");
	ExpectInstance(InstanceFromCommandLine("-game -TowerInstance=7", 4242), 7, "-TowerInstance=N given by hand");
	ExpectInstance(InstanceFromCommandLine("-PIEVIACONSOLE PIEGameUserSettings1 -towerinstance=5", 4242), 5,
		"-TowerInstance wins over the editor's number");
	ExpectInstance(InstanceFromCommandLine("-game -TowerInstance=", 4242), -1, "-TowerInstance without a number");
	if (WithPieSuffix("UnrealPlayer", InstanceFromCommandLine(Client2, 1), 32) ==
		WithPieSuffix("UnrealPlayer", InstanceFromCommandLine("-game -PIEVIACONSOLE PIEGameUserSettings1.ini", 1), 32))
	{
		std::printf("FAIL two client processes share a dev name\n");
		++Failures;
	}

	std::printf("pie identity: %s\n", Failures == 0 ? "ok" : "FAILED");
	return Failures == 0 ? 0 : 1;
}
