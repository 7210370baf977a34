// Engine-free core of the TowerGame plugin (C++20, no Unreal headers, no exceptions).
// Errors from the C ABI as values: a status code plus the library's message.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "TowerFfiHeader.h"

namespace tower {

// A failed call: the C ABI's status and tower_last_error() captured right after it.
struct Error {
    TowerStatus status = TOWER_STATUS_OK;
    std::string message;
};

// Outcome of a call without a value.
class Status {
public:
    Status() = default;
    explicit Status(Error error) : error_(std::move(error)) {}

    bool ok() const { return error_.status == TOWER_STATUS_OK; }
    const Error& error() const { return error_; }

private:
    Error error_;
};

// A value or an Error (std::expected is C++23; Unreal builds without exceptions).
template <class T>
class Result {
public:
    Result(T value) : state_(std::move(value)) {}  // NOLINT: implicit by design
    Result(Error error) : state_(std::move(error)) {}  // NOLINT: implicit by design

    bool ok() const { return std::holds_alternative<T>(state_); }
    // Precondition: ok().
    const T& value() const& { return *std::get_if<T>(&state_); }
    T& value() & { return *std::get_if<T>(&state_); }
    T&& value() && { return std::move(*std::get_if<T>(&state_)); }
    // Precondition: !ok().
    const Error& error() const { return *std::get_if<Error>(&state_); }

private:
    std::variant<T, Error> state_;
};

// Wraps a raw status, reading the thread-local message when it is an error.
Error error_from(TowerStatus status);
Status status_from(TowerStatus status);

}  // namespace tower
