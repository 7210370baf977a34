// ProfilingDebugging/CpuProfilerTrace.h: the CPU trace scopes Unreal Insights shows. Declared
// here only (not in StandIn/Core.h), as the engine does, so a missing include is an error.
#pragma once
#define TRACE_CPUPROFILER_EVENT_SCOPE(Name) ((void)sizeof(#Name))
#define TRACE_CPUPROFILER_EVENT_SCOPE_STR(Name) ((void)sizeof(Name))
