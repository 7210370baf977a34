// How glue classes find the game instance's Tower client and its Play-In-Editor instance.
#pragma once

#include "CoreMinimal.h"
#include "Engine/Engine.h"
#include "Engine/GameInstance.h"
#include "Engine/World.h"
#include "TowerClientSubsystem.h"

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

// The Play-In-Editor instance (0, 1, ...) a game instance runs as; INDEX_NONE outside PIE.
inline int32 TowerPieInstanceOf(const UGameInstance* GameInstance)
{
	const FWorldContext* Context = GameInstance != nullptr ? GameInstance->GetWorldContext() : nullptr;
	return Context != nullptr && Context->WorldType == EWorldType::PIE ? Context->PIEInstance : INDEX_NONE;
}
