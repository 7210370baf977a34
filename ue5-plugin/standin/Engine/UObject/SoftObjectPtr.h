// UObject/SoftObjectPtr.h: a reference by path, loaded on demand. Declared here only (not in
// StandIn/Core.h), so a header using TSoftObjectPtr without this include is an error.
#pragma once
#include "StandIn/Core.h"

template <typename T>
class TSoftObjectPtr
{
public:
    TSoftObjectPtr();
    T* LoadSynchronous() const;
    T* Get() const;
    bool IsNull() const;
};
