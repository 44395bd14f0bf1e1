#pragma once

// Errors as values for the API layer, with the canonical codes (numbered as gRPC's), and the one
// table that maps them to HTTP. The placement and store modules carry their own small enums with
// the same numbering; FromPlacement/FromStore convert them.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace gantry::api {

enum class Code : int {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kUnauthenticated = 16,
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message, std::string field = "")
      : code_(code), message_(std::move(message)), field_(std::move(field)) {}

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // The field path the error is about (`spec.placementConstraints[1].expression`), if any.
  const std::string& field() const { return field_; }
  // "field: message", or the message alone when there is no field or the message already names
  // it (decoder messages lead with the position: "web.yaml: document 1, line 4, column 3:
  // spec.replicas: unknown field 'replicas'").
  std::string ToString() const {
    if (field_.empty() || message_.find(field_ + ": ") != std::string::npos) return message_;
    return field_ + ": " + message_;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string field_;
};

inline Status InvalidArgument(std::string field, std::string message) {
  return Status(Code::kInvalidArgument, std::move(message), std::move(field));
}

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : v_(std::move(value)) {}        // NOLINT: implicit by design
  StatusOr(Status status) : v_(std::move(status)) {  // NOLINT: implicit by design
    assert(!std::get<1>(v_).ok());
  }
  bool ok() const { return v_.index() == 0; }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<1>(v_);
  }
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
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

 private:
  std::variant<T, Status> v_;
};

// The HTTP status for a code: 400, 401, 403, 404, 409 (AlreadyExists, Aborted), 410 (OutOfRange:
// a compacted watch revision), 412, 413 (ResourceExhausted), 429, 499, 500, 501, 503, 504.
int HttpStatus(Code code);
// The Kubernetes-style reason for a code: "Conflict", "NotFound", "Invalid", "Gone", ...
const char* HttpReason(Code code);

}  // namespace gantry::api
