#pragma once

// Errors as values for the store. store/ depends on nothing of Gantry's, so it carries its own
// code enum, numbered like the canonical (gRPC/Abseil) codes; api/status maps it by value.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace gantry::store {

enum class Code : int {
  kOk = 0,
  kInvalidArgument = 3,
  kNotFound = 5,
  kAlreadyExists = 6,
  kFailedPrecondition = 9,
  kAborted = 10,     // compare-and-swap lost: the expected revision is stale
  kOutOfRange = 11,  // watch from a compacted revision (HTTP 410 Gone)
  kInternal = 13,
  kUnavailable = 14,  // the store is closed or the disk failed; retry later
};

struct Error {
  Code code = Code::kInternal;
  std::string message;
  // Txn: the index of the op that failed; -1 when the failure is not one op's.
  int op = -1;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  bool ok() const { return v_.index() == 0; }
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
  Code code() const { return ok() ? Code::kOk : error().code; }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> v_;
};

// Success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT: implicit by design
  bool ok() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace gantry::store
