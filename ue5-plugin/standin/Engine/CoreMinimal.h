// CoreMinimal.h -> the stand-in of Core and CoreUObject.
#pragma once
#include "StandIn/Core.h"
