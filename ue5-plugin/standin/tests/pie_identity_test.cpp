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
	std::printf("pie identity: %s\n", Failures == 0 ? "ok" : "FAILED");
	return Failures == 0 ? 0 : 1;
}
