// Status and Result<T>: how every layer below the tools reports errors, as values.
// The device side (runtime, kernels, format, agent) must build without exceptions, so
// nothing here throws. Depends on nothing but the standard library.
#pragma once

#include <cassert>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace edgeai {

enum class StatusCode : unsigned char {
  kOk = 0,
  kInvalidArgument,    // the caller passed something wrong (shape, dtype, name, attribute)
  kNotFound,           // a named thing (file, tensor, operator) does not exist
  kUnsupported,        // valid input we do not handle (operator, opset, dtype)
  kOutOfRange,         // an index or size past a bound
  kDataLoss,           // a file is truncated or corrupted
  kFailedPrecondition, // called in the wrong state
  kInternal,           // a bug in edgeai
  kIoError,            // the operating system refused (open, read, mmap)
};

std::string_view status_code_name(StatusCode code);

// Concatenates anything that has operator<< into one string; used to build messages.
template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return Status(); }

  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "data loss: model.eai: truncated header" style, for one-line reports.
  std::string to_string() const;

  // Returns the same status with "context: " put in front of the message.
  Status with_context(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename... Args>
Status invalid_argument(const Args&... args) { return Status(StatusCode::kInvalidArgument, str_cat(args...)); }
template <typename... Args>
Status not_found(const Args&... args) { return Status(StatusCode::kNotFound, str_cat(args...)); }
template <typename... Args>
Status unsupported(const Args&... args) { return Status(StatusCode::kUnsupported, str_cat(args...)); }
template <typename... Args>
Status out_of_range(const Args&... args) { return Status(StatusCode::kOutOfRange, str_cat(args...)); }
template <typename... Args>
Status data_loss(const Args&... args) { return Status(StatusCode::kDataLoss, str_cat(args...)); }
template <typename... Args>
Status failed_precondition(const Args&... args) { return Status(StatusCode::kFailedPrecondition, str_cat(args...)); }
template <typename... Args>
Status internal_error(const Args&... args) { return Status(StatusCode::kInternal, str_cat(args...)); }
template <typename... Args>
Status io_error(const Args&... args) { return Status(StatusCode::kIoError, str_cat(args...)); }

// Either a T or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : storage_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : storage_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    assert(!std::get<Status>(storage_).is_ok() && "Result built from an ok Status carries no value");
  }

  bool is_ok() const { return std::holds_alternative<T>(storage_); }
  Status status() const { return is_ok() ? Status::ok() : std::get<Status>(storage_); }

  T& value() & { return std::get<T>(storage_); }
  const T& value() const& { return std::get<T>(storage_); }
  T&& value() && { return std::get<T>(std::move(storage_)); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> storage_;
};

}  // namespace edgeai

#define EDGEAI_CONCAT_INNER(a, b) a##b
#define EDGEAI_CONCAT(a, b) EDGEAI_CONCAT_INNER(a, b)

// Returns from the enclosing function when `expr` (a Status) is not ok.
#define EDGEAI_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::edgeai::Status edgeai_status_ = (expr);        \
    if (!edgeai_status_.is_ok()) return edgeai_status_; \
  } while (0)

// `lhs` = the value of `rexpr` (a Result<T>), or return its Status.
#define EDGEAI_ASSIGN_OR_RETURN(lhs, rexpr) \
  EDGEAI_ASSIGN_OR_RETURN_IMPL(EDGEAI_CONCAT(edgeai_result_, __LINE__), lhs, rexpr)
#define EDGEAI_ASSIGN_OR_RETURN_IMPL(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                 \
  if (!tmp.is_ok()) return tmp.status();              \
  lhs = std::move(tmp).value()
