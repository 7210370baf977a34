// A distinct identity per Play-In-Editor instance. Every PIE client of one editor reads the
// same Project Settings, so without this they all log in with one dev name and one Nakama
// device id, and each new login replaces the previous one on the server. Instance 0 (and a
// game outside PIE, instance -1) keeps the configured identity; instance N >= 1 gets the
// suffix "-pieN", the base shortened so the result still fits the login's length limit.
// Plain C++ (std only), so scripts/test.d/65-unreal-checks.sh runs its checks natively.
#pragma once

#include <cstddef>
#include <string>

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
}
