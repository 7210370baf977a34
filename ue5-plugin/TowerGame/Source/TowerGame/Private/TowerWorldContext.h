// How glue classes find the game instance's Tower client and its Play-In-Editor instance.
#pragma once

#include "CoreMinimal.h"
#include "Engine/Engine.h"
#include "Engine/GameInstance.h"
#include "Engine/World.h"
#include "HAL/PlatformProcess.h"
#include "Misc/CommandLine.h"
#include "TowerClientSubsystem.h"
#include "TowerCoreIncludes.h"
#include "TowerPieIdentity.h"

// The Tower client of the game instance a world-context object (actor, component, widget,
// world) plays in; null in editor worlds and for class default objects.
inline UTowerClientSubsystem* TowerClientOf(const UObject* WorldContextObject)
{
	const UWorld* World = GEngine != nullptr && WorldContextObject != nullptr
		? GEngine->GetWorldFromContextObject(WorldContextObject, EGetWorldErrorMode::ReturnNull)
		: nullptr;
	UGameInstance* GameInstance = World != nullptr ? World->GetGameInstance() : nullptr;
	return GameInstance != nullptr ? GameInstance->GetSubsystem<UTowerClientSubsystem>() : nullptr;
}

// The Play-In-Editor instance (0, 1, ...) a game instance runs as: the PIE instance of its
// world context in the editor process ("Run Under One Process" on); in a Game world, the
// instance its command line names (tower_glue::InstanceFromCommandLine: -TowerInstance=N, or
// a PIE client the editor started as its own process, falling back to the process id);
// INDEX_NONE for a game started any other way.
inline int32 TowerPieInstanceOf(const UGameInstance* GameInstance)
{
	const FWorldContext* Context = GameInstance != nullptr ? GameInstance->GetWorldContext() : nullptr;
	if (Context == nullptr)
	{
		return INDEX_NONE;
	}
	if (Context->WorldType == EWorldType::PIE)
	{
		return Context->PIEInstance;
	}
	if (Context->WorldType != EWorldType::Game)
	{
		return INDEX_NONE;
	}
	const int32 ProcessInstance = static_cast<int32>(FPlatformProcess::GetCurrentProcessId() % 1000000u);
	const int32 Instance = tower_glue::InstanceFromCommandLine(TowerToStd(FString(FCommandLine::Get())), ProcessInstance);
	return Instance >= 0 ? Instance : INDEX_NONE;
}
