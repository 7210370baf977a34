// Automation tests for the Unreal glue: run them in the editor with Tools > Test Automation
// (filter "Tower.Glue") or `UnrealEditor-Cmd <Project>.uproject -ExecCmds="Automation RunTests
// Tower.Glue; Quit" -unattended -nullrhi`. They need the staged library. The rules behind the
// glue (notification parsing, tile mapping, entity diffing, device ids) are tested without
// Unreal by ue5-plugin/core; these check the Unreal side of the same paths.
#include "Misc/AutomationTest.h"

#if WITH_DEV_AUTOMATION_TESTS

#include "Components/ActorComponent.h"
#include "Engine/Engine.h"
#include "Engine/World.h"
#include "GameFramework/Actor.h"
#include "TowerAsyncActions.h"
#include "TowerBlueprintLibrary.h"
#include "TowerEntityComponent.h"
#include "TowerFloorActor.h"
#include "TowerFloorComponent.h"
#include "TowerGameModule.h"
#include "TowerMatchmaker.h"
#include "TowerSettings.h"

namespace
{
	// procgen/tests/golden_vectors.txt: seed 1, floor 1.
	const TCHAR* const GoldenHashSeed1Floor1 = TEXT("0edabe226c746f05db2fcdec817ad38d958f362d34475cb8d7010f24af2aac2c");

	// A world that is not a game world (construction scripts preview there), destroyed with
	// the scope.
	struct FTowerTestWorld
	{
		UWorld* World = nullptr;

		FTowerTestWorld()
		{
			World = UWorld::CreateWorld(EWorldType::EditorPreview, /*bInformEngineOfWorld=*/false);
		}

		~FTowerTestWorld()
		{
			if (World != nullptr)
			{
				World->DestroyWorld(/*bInformEngineOfWorld=*/false);
			}
		}
	};

	int32 CountGenerated(const AActor& Actor)
	{
		int32 Count = 0;
		for (const UActorComponent* Component : Actor.GetComponents())
		{
			if (Component != nullptr && Component->ComponentHasTag(UTowerFloorComponent::GeneratedTag) &&
				!Component->IsBeingDestroyed())
			{
				++Count;
			}
		}
		return Count;
	}
}

IMPLEMENT_SIMPLE_AUTOMATION_TEST(FTowerGlueLibraryTest, "Tower.Glue.Library.LoadedWithMatchingAbi", EAutomationTestFlags::EditorContext | EAutomationTestFlags::EngineFilter)
bool FTowerGlueLibraryTest::RunTest(const FString& Parameters)
{
	FString Error;
	if (!UTowerBlueprintLibrary::IsLibraryReady(Error))
	{
		AddError(FString::Printf(TEXT("library not ready: %s"), *Error));
		return false;
	}
	int32 Library = 0;
	int32 Header = 0;
	UTowerBlueprintLibrary::GetAbiVersions(Library, Header);
	TestEqual(TEXT("library ABI == header ABI"), Library, Header);
	TestTrue(TEXT("generator version > 0"), UTowerBlueprintLibrary::GetGeneratorVersion() > 0);
	return true;
}

IMPLEMENT_SIMPLE_AUTOMATION_TEST(FTowerGlueHashTest, "Tower.Glue.Library.GoldenHashAndCheck", EAutomationTestFlags::EditorContext | EAutomationTestFlags::EngineFilter)
bool FTowerGlueHashTest::RunTest(const FString& Parameters)
{
	FString Hash;
	FString Error;
	TestTrue(TEXT("hash of seed 1 floor 1"), UTowerBlueprintLibrary::GetFloorHash(1, 1, Hash, Error));
	TestEqual(TEXT("golden hash"), Hash, FString(GoldenHashSeed1Floor1));
	TestTrue(TEXT("golden hash is valid"), UTowerBlueprintLibrary::IsFloorHashValid(1, 1, GoldenHashSeed1Floor1, Error));
	TestFalse(TEXT("another floor's hash is not"), UTowerBlueprintLibrary::IsFloorHashValid(1, 2, GoldenHashSeed1Floor1, Error));
	TestFalse(TEXT("short hash refused"), UTowerBlueprintLibrary::IsFloorHashValid(1, 1, TEXT("abcd"), Error));
	TestFalse(TEXT("negative floor refused"), UTowerBlueprintLibrary::GetFloorHash(1, -1, Hash, Error));
	return true;
}

IMPLEMENT_SIMPLE_AUTOMATION_TEST(FTowerGlueMatchTest, "Tower.Glue.Matchmaker.ParseAndDeviceId", EAutomationTestFlags::EditorContext | EAutomationTestFlags::EngineFilter)
bool FTowerGlueMatchTest::RunTest(const FString& Parameters)
{
	const FString Pin = FString::ChrN(64, TEXT('a'));
	FTowerMatchTicket Ticket;
	FString Error;
	const FString Good = FString::Printf(TEXT("{\"address\":\"::1\",\"port\":4433,\"fingerprint\":\"%s\",\"ticket\":\"jwt\"}"), *Pin);
	TestTrue(TEXT("module's notification parses"), UTowerMatchmaker::ParseMatchReady(Good, Ticket, Error));
	TestEqual(TEXT("IPv6 bracketed"), Ticket.ServerAddress, FString(TEXT("[::1]:4433")));
	TestEqual(TEXT("fingerprint"), Ticket.Fingerprint, Pin);
	TestEqual(TEXT("ticket"), Ticket.Ticket, FString(TEXT("jwt")));
	TestFalse(TEXT("port 0 refused"), UTowerMatchmaker::ParseMatchReady(
		FString::Printf(TEXT("{\"address\":\"h\",\"port\":0,\"fingerprint\":\"%s\",\"ticket\":\"jwt\"}"), *Pin), Ticket, Error));
	TestTrue(TEXT("error names the field"), Error.Contains(TEXT("port")));

	FString Problem;
	TestFalse(TEXT("9-byte device id refused"), UTowerBlueprintLibrary::IsValidDeviceId(TEXT("123456789"), Problem));
	TestTrue(TEXT("10-byte device id accepted"), UTowerBlueprintLibrary::IsValidDeviceId(TEXT("1234567890"), Problem));
	TestFalse(TEXT("129-byte device id refused"), UTowerBlueprintLibrary::IsValidDeviceId(FString::ChrN(129, TEXT('d')), Problem));
	return true;
}

IMPLEMENT_SIMPLE_AUTOMATION_TEST(FTowerGluePreviewTest, "Tower.Glue.Floor.PreviewRebuildsWithoutPileUp", EAutomationTestFlags::EditorContext | EAutomationTestFlags::EngineFilter)
bool FTowerGluePreviewTest::RunTest(const FString& Parameters)
{
	FTowerTestWorld Scope;
	if (Scope.World == nullptr)
	{
		AddError(TEXT("could not create a world"));
		return false;
	}
	ATowerFloorActor* Floor = Scope.World->SpawnActor<ATowerFloorActor>();
	if (!TestNotNull(TEXT("floor actor"), Floor))
	{
		return false;
	}
	Floor->Seed = 1;
	Floor->FloorNumber = 1;
	Floor->Regenerate();
	TestEqual(TEXT("no error"), Floor->LastError, FString());
	TestEqual(TEXT("built the golden floor"), Floor->Floor->FloorHash, FString(GoldenHashSeed1Floor1));
	const int32 Once = CountGenerated(*Floor);
	TestTrue(TEXT("generated something"), Once > 0);
	Floor->Regenerate();
	Floor->Regenerate();
	TestEqual(TEXT("rebuilding does not pile up components"), CountGenerated(*Floor), Once);
	Floor->Floor->ClearFloor();
	TestEqual(TEXT("clear removes them"), CountGenerated(*Floor), 0);
	Floor->Destroy();
	return true;
}

IMPLEMENT_SIMPLE_AUTOMATION_TEST(FTowerGlueMappingTest, "Tower.Glue.Floor.TileMappingFollowsTheFloorTransform", EAutomationTestFlags::EditorContext | EAutomationTestFlags::EngineFilter)
bool FTowerGlueMappingTest::RunTest(const FString& Parameters)
{
	FTowerTestWorld Scope;
	if (Scope.World == nullptr)
	{
		AddError(TEXT("could not create a world"));
		return false;
	}
	const FVector Origin(1000.0, -500.0, 200.0);
	ATowerFloorActor* Floor = Scope.World->SpawnActor<ATowerFloorActor>(Origin, FRotator(0.0, 90.0, 0.0));
	if (!TestNotNull(TEXT("floor actor"), Floor))
	{
		return false;
	}
	const double Tile = UTowerSettings::Get()->TileSizeCm;
	// Yaw 90: the floor's +X (grid columns) points along world +Y.
	const FVector World = Floor->Floor->TileToWorld(FVector2D(2.0, 0.0));
	TestTrue(TEXT("tile (2, 0) lies along world +Y"), World.Equals(Origin + FVector(0.0, 2.0 * Tile, 0.0), 0.01));
	const FVector2D Back = Floor->Floor->WorldToTile(World);
	TestTrue(TEXT("round trip"), Back.Equals(FVector2D(2.0, 0.0), 1e-6));
	Floor->Destroy();
	return true;
}

IMPLEMENT_SIMPLE_AUTOMATION_TEST(FTowerGlueEntityTest, "Tower.Glue.Entity.NeverHidesItsActorWhenNotPlaying", EAutomationTestFlags::EditorContext | EAutomationTestFlags::EngineFilter)
bool FTowerGlueEntityTest::RunTest(const FString& Parameters)
{
	FTowerTestWorld Scope;
	if (Scope.World == nullptr)
	{
		AddError(TEXT("could not create a world"));
		return false;
	}
	AActor* Pawn = Scope.World->SpawnActor<AActor>();
	if (!TestNotNull(TEXT("actor"), Pawn))
	{
		return false;
	}
	UTowerEntityComponent* Entity = NewObject<UTowerEntityComponent>(Pawn);
	Entity->RegisterComponent();
	for (const bool bLocal : {true, false})
	{
		Entity->bIsLocalPlayer = bLocal;
		Entity->TickComponent(0.016f, LEVELTICK_All, nullptr);
		TestFalse(TEXT("actor stays visible without a connection"), Pawn->IsHidden());
	}
	Pawn->Destroy();
	return true;
}

IMPLEMENT_SIMPLE_AUTOMATION_TEST(FTowerGlueFindMatchTest, "Tower.Glue.Matchmaker.FindMatchNodeLeavesConnectOnMatchAlone", EAutomationTestFlags::EditorContext | EAutomationTestFlags::EngineFilter)
bool FTowerGlueFindMatchTest::RunTest(const FString& Parameters)
{
	// The Tower Find Match node only finds; it once turned the shared matchmaker's
	// connect-on-match off for good. Without a login (or without Nakama) the search fails
	// at once, which is enough to see what the node did to the matchmaker.
	FTowerTestWorld Scope;
	if (Scope.World == nullptr)
	{
		AddError(TEXT("could not create a world"));
		return false;
	}
	UTowerMatchmaker* Matchmaker = UTowerMatchmaker::CreateTowerMatchmaker(Scope.World);
	if (!TestNotNull(TEXT("matchmaker"), Matchmaker))
	{
		return false;
	}
	Matchmaker->bConnectOnMatch = true;
	UTowerFindMatchAction* Action = UTowerFindMatchAction::TowerFindMatch(Scope.World, Matchmaker);
	Action->Activate();
	TestTrue(TEXT("connect-on-match untouched"), Matchmaker->bConnectOnMatch);
	TestFalse(TEXT("the failed search is over"), Matchmaker->IsFindingMatch());
	Action->Cancel(); // after the end: harmless
	TestTrue(TEXT("still untouched after Cancel"), Matchmaker->bConnectOnMatch);
	return true;
}

namespace
{
	// A code-100 notification's content, as the Nakama module sends it.
	const TCHAR* const MatchReadyContent =
		TEXT("{\"address\":\"127.0.0.1\",\"port\":4433,\"fingerprint\":\"")
		TEXT("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"ticket\":\"jwt\"}");
}

IMPLEMENT_SIMPLE_AUTOMATION_TEST(FTowerGlueSecondFindMatchTest, "Tower.Glue.Matchmaker.SecondFindMatchLeavesTheFirstWaiting", EAutomationTestFlags::EditorContext | EAutomationTestFlags::EngineFilter)
bool FTowerGlueSecondFindMatchTest::RunTest(const FString& Parameters)
{
	// A second Find Match on a searching matchmaker once broadcast "already waiting" on
	// OnFailed, which ended the first node too while its Nakama ticket stayed queued: the
	// match was lost. Now only the second node fails, and the first gets the match.
	FTowerTestWorld Scope;
	if (Scope.World == nullptr)
	{
		AddError(TEXT("could not create a world"));
		return false;
	}
	UTowerMatchmaker* Matchmaker = UTowerMatchmaker::CreateTowerMatchmaker(Scope.World);
	if (!TestNotNull(TEXT("matchmaker"), Matchmaker))
	{
		return false;
	}
	Matchmaker->SearchOfflineForTests();
	UTowerFindMatchAction* First = UTowerFindMatchAction::TowerFindMatch(Scope.World, Matchmaker);
	First->Activate();
	TestTrue(TEXT("the first node searches"), First->IsSearching());
	UTowerFindMatchAction* Second = UTowerFindMatchAction::TowerFindMatch(Scope.World, Matchmaker);
	Second->Activate();
	TestFalse(TEXT("the second node is refused"), Second->IsSearching());
	TestTrue(TEXT("the first node still waits"), First->IsSearching());
	TestTrue(TEXT("the search goes on"), Matchmaker->IsFindingMatch());
	FTowerMatchTicket Ticket;
	FString Error;
	TestTrue(TEXT("the sample notification parses"), UTowerMatchmaker::ParseMatchReady(MatchReadyContent, Ticket, Error));
	Matchmaker->HandleNotification(100, MatchReadyContent);
	TestFalse(TEXT("the first node got the match and ended"), First->IsSearching());
	TestFalse(TEXT("the search is over"), Matchmaker->IsFindingMatch());
	return true;
}

IMPLEMENT_SIMPLE_AUTOMATION_TEST(FTowerGlueCancelFindMatchTest, "Tower.Glue.Matchmaker.CancelFindMatchEndsTheNode", EAutomationTestFlags::EditorContext | EAutomationTestFlags::EngineFilter)
bool FTowerGlueCancelFindMatchTest::RunTest(const FString& Parameters)
{
	// CancelFindMatch, Cancel and a new login end a search without a match or a failure;
	// the Find Match node once kept waiting for ever (and was never released).
	FTowerTestWorld Scope;
	if (Scope.World == nullptr)
	{
		AddError(TEXT("could not create a world"));
		return false;
	}
	UTowerMatchmaker* Matchmaker = UTowerMatchmaker::CreateTowerMatchmaker(Scope.World);
	if (!TestNotNull(TEXT("matchmaker"), Matchmaker))
	{
		return false;
	}
	Matchmaker->SearchOfflineForTests();
	UTowerFindMatchAction* Node = UTowerFindMatchAction::TowerFindMatch(Scope.World, Matchmaker);
	Node->Activate();
	TestTrue(TEXT("searching"), Node->IsSearching());
	Matchmaker->CancelFindMatch();
	TestFalse(TEXT("CancelFindMatch ended the node"), Node->IsSearching());

	UTowerFindMatchAction* Again = UTowerFindMatchAction::TowerFindMatch(Scope.World, Matchmaker);
	Again->Activate();
	TestTrue(TEXT("a new search after the cancel"), Again->IsSearching());
	Matchmaker->Cancel();
	TestFalse(TEXT("Cancel ended the node"), Again->IsSearching());
	TestFalse(TEXT("no search left"), Matchmaker->IsFindingMatch());
	return true;
}

#endif // WITH_DEV_AUTOMATION_TESTS
