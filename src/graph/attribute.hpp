// Typed node attributes, as ONNX defines them (AttributeProto): one value of one type.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/tensor.hpp"

namespace edgeai {

// Numeric values are stored in .eai files: never renumber.
enum class AttrType : std::uint8_t {
  kInt = 1,
  kFloat = 2,
  kString = 3,
  kInts = 4,
  kFloats = 5,
  kStrings = 6,
  kTensor = 7,
};

std::string_view attr_type_name(AttrType type);

class Attribute {
 public:
  using Value = std::variant<std::int64_t, float, std::string, std::vector<std::int64_t>, std::vector<float>,
                             std::vector<std::string>, Tensor>;

  Attribute() = default;
  Attribute(std::int64_t v) : value_(v) {}                        // NOLINT
  Attribute(int v) : value_(static_cast<std::int64_t>(v)) {}      // NOLINT
  Attribute(float v) : value_(v) {}                               // NOLINT
  Attribute(std::string v) : value_(std::move(v)) {}              // NOLINT
  Attribute(const char* v) : value_(std::string(v)) {}            // NOLINT
  Attribute(std::vector<std::int64_t> v) : value_(std::move(v)) {}  // NOLINT
  Attribute(std::vector<float> v) : value_(std::move(v)) {}         // NOLINT
  Attribute(std::vector<std::string> v) : value_(std::move(v)) {}   // NOLINT
  Attribute(Tensor v) : value_(std::move(v)) {}                     // NOLINT

  AttrType type() const { return static_cast<AttrType>(value_.index() + 1); }

  // Typed access; the caller checks type() first (validation does this for every node).
  std::int64_t as_int() const { return std::get<std::int64_t>(value_); }
  float as_float() const { return std::get<float>(value_); }
  const std::string& as_string() const { return std::get<std::string>(value_); }
  const std::vector<std::int64_t>& as_ints() const { return std::get<std::vector<std::int64_t>>(value_); }
  const std::vector<float>& as_floats() const { return std::get<std::vector<float>>(value_); }
  const std::vector<std::string>& as_strings() const { return std::get<std::vector<std::string>>(value_); }
  const Tensor& as_tensor() const { return std::get<Tensor>(value_); }

  const Value& value() const { return value_; }

 private:
  Value value_ = std::int64_t{0};
};

}  // namespace edgeai
