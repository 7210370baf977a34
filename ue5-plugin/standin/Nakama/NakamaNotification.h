// nakama-unreal header path -> the stand-in declarations.
#pragma once
#include "NakamaStandIn.h"
