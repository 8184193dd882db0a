// Tests of TensorProto reading (import/onnx/tensor_proto.cpp): every storage form, and each bad
// input with its message.
#include "import/onnx/tensor_proto.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <fstream>

#include "import/onnx/proto_convert.hpp"

namespace edgeai {
namespace {

Result<Tensor> round_trip(const onnx::TensorProto& proto) {
  const std::string bytes = proto.SerializeAsString();
  return read_tensor_proto_bytes(bytes.data(), bytes.size(), "t.pb");
}

TEST(TensorProto, RawFloatDataFromAFile) {
  onnx::TensorProto proto;
  proto.set_name("x");
  proto.set_data_type(onnx::TensorProto::FLOAT);
  proto.add_dims(2);
  proto.add_dims(2);
  const float values[4] = {1.0f, -2.5f, 3.0f, 1e-3f};
  proto.set_raw_data(std::string(reinterpret_cast<const char*>(values), sizeof(values)));
  const std::string path = ::testing::TempDir() + "tensor.pb";
  std::ofstream(path, std::ios::binary) << proto.SerializeAsString();
  Result<Tensor> t = read_tensor_proto_file(path);
  ASSERT_TRUE(t.is_ok()) << t.status().to_string();
  EXPECT_EQ(t->dtype(), DType::kFloat32);
  EXPECT_EQ(t->shape(), Shape({2, 2}));
  EXPECT_EQ(std::memcmp(t->raw_data(), values, sizeof(values)), 0);
}

TEST(TensorProto, TypedFields) {
  onnx::TensorProto i64;
  i64.set_data_type(onnx::TensorProto::INT64);
  i64.add_dims(2);
  i64.add_int64_data(-1);
  i64.add_int64_data(1LL << 50);
  Result<Tensor> t = round_trip(i64);
  ASSERT_TRUE(t.is_ok());
  EXPECT_EQ(t->data<std::int64_t>()[1], 1LL << 50);

  onnx::TensorProto u8;
  u8.set_data_type(onnx::TensorProto::UINT8);
  u8.add_dims(2);
  u8.add_int32_data(255);
  u8.add_int32_data(7);
  t = round_trip(u8);
  ASSERT_TRUE(t.is_ok());
  EXPECT_EQ(t->dtype(), DType::kUInt8);
  EXPECT_EQ(t->data<std::uint8_t>()[0], 255);

  onnx::TensorProto b;
  b.set_data_type(onnx::TensorProto::BOOL);
  b.add_dims(2);
  b.add_int32_data(0);
  b.add_int32_data(1);
  t = round_trip(b);
  ASSERT_TRUE(t.is_ok());
  EXPECT_FALSE(t->data<bool>()[0]);
  EXPECT_TRUE(t->data<bool>()[1]);

  onnx::TensorProto scalar;
  scalar.set_data_type(onnx::TensorProto::DOUBLE);
  scalar.add_double_data(2.5);
  t = round_trip(scalar);
  ASSERT_TRUE(t.is_ok());
  EXPECT_EQ(t->shape(), Shape{});
  EXPECT_EQ(t->data<double>()[0], 2.5);

  onnx::TensorProto empty;
  empty.set_data_type(onnx::TensorProto::FLOAT);
  empty.add_dims(0);
  t = round_trip(empty);
  ASSERT_TRUE(t.is_ok());
  EXPECT_EQ(t->num_elements(), 0);
}

TEST(TensorProto, BadTensorsNameTheTensor) {
  onnx::TensorProto short_raw;
  short_raw.set_name("w");
  short_raw.set_data_type(onnx::TensorProto::FLOAT);
  short_raw.add_dims(4);
  short_raw.set_raw_data(std::string(12, '\0'));
  Result<Tensor> t = round_trip(short_raw);
  ASSERT_FALSE(t.is_ok());
  EXPECT_EQ(t.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(t.status().message(), "t.pb: tensor 'w' has 12 bytes of raw data; float32 [4] needs 16");

  onnx::TensorProto few;
  few.set_name("v");
  few.set_data_type(onnx::TensorProto::INT64);
  few.add_dims(3);
  few.add_int64_data(1);
  EXPECT_EQ(round_trip(few).status().message(), "t.pb: tensor 'v' holds 1 values; its dims need 3");

  onnx::TensorProto external;
  external.set_name("big");
  external.set_data_type(onnx::TensorProto::FLOAT);
  external.set_data_location(onnx::TensorProto::EXTERNAL);
  t = round_trip(external);
  EXPECT_EQ(t.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(t.status().message().find("tensor 'big' stores its data in an external file"), std::string::npos);

  onnx::TensorProto bf16;
  bf16.set_name("h");
  bf16.set_data_type(onnx::TensorProto::BFLOAT16);
  t = round_trip(bf16);
  EXPECT_EQ(t.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(t.status().message().find("tensor 'h' has data type BFLOAT16"), std::string::npos);

  onnx::TensorProto negative;
  negative.set_name("n");
  negative.set_data_type(onnx::TensorProto::FLOAT);
  negative.add_dims(-2);
  EXPECT_EQ(round_trip(negative).status().code(), StatusCode::kDataLoss);

  onnx::TensorProto huge;
  huge.set_name("huge");
  huge.set_data_type(onnx::TensorProto::FLOAT);
  huge.add_dims(1LL << 40);
  huge.add_dims(1LL << 40);
  EXPECT_EQ(round_trip(huge).status().code(), StatusCode::kDataLoss);
}

TEST(TensorProto, GarbageIsAParseError) {
  const std::string garbage = "\xff\xff\xff\xff not a protobuf";
  Result<Tensor> t = read_tensor_proto_bytes(garbage.data(), garbage.size(), "g.pb");
  ASSERT_FALSE(t.is_ok());
  EXPECT_EQ(t.status().message(), "g.pb: not a valid ONNX TensorProto (protobuf parse failed)");
  EXPECT_EQ(read_tensor_proto_file(::testing::TempDir() + "missing.pb").status().code(), StatusCode::kIoError);
}

}  // namespace
}  // namespace edgeai
