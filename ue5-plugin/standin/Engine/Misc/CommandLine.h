// Misc/CommandLine.h -> the stand-in declarations (FCommandLine).
#pragma once
#include "StandIn/Core.h"
