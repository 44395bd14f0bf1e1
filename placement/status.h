#pragma once

// Errors as values for the placement module. placement/ depends on nothing of Gantry's, so it
// carries its own small code enum, numbered like the canonical (gRPC/Abseil) codes so that
// api/status can map it by value.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace gantry::placement {

enum class Code : int {
  kOk = 0,
  kInvalidArgument = 3,
  kNotFound = 5,
  kAlreadyExists = 6,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
};

// An error with the path of the offending field (`placementConstraints[1].expression`) and a
// message that names the position inside the field where that applies.
struct Error {
  Code code = Code::kInvalidArgument;
  std::string field;
  std::string message;

  // "field: message", or just the message when there is no field.
  std::string ToString() const { return field.empty() ? message : field + ": " + message; }

  // Returns a copy whose field path has `prefix` in front (`request.` + `count`).
  Error WithFieldPrefix(const std::string& prefix) const {
    Error e = *this;
    if (e.field.empty()) {
      e.field = prefix;
    } else if (!prefix.empty()) {
      e.field = e.field.front() == '[' ? prefix + e.field : prefix + "." + e.field;
    }
    return e;
  }
};

inline Error InvalidArgument(std::string field, std::string message) {
  return Error{Code::kInvalidArgument, std::move(field), std::move(message)};
}

// Holds either a T or an Error. A minimal stand-in for std::expected (C++23).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> v_;
};

// Result<void>: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace gantry::placement
