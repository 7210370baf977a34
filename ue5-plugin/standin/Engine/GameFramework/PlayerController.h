// Unreal header path -> the stand-in declarations.
#pragma once
#include "StandIn/Engine.h"
