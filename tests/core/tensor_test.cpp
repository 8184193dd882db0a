#include "core/tensor.hpp"

#include <gtest/gtest.h>

#include <cstdint>

#include "core/aligned_buffer.hpp"

namespace edgeai {
namespace {

TEST(Tensor, AllocateIsAlignedAndZeroed) {
  Result<Tensor> t = Tensor::allocate(DType::kFloat32, {3, 5});
  ASSERT_TRUE(t.is_ok());
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(t->raw_data()) % kTensorAlignment, 0u);
  EXPECT_EQ(t->size_bytes(), 60u);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(t->data<float>()[i], 0.0f);
}

TEST(Tensor, AllocateRefusesDynamicShape) {
  Result<Tensor> t = Tensor::allocate(DType::kFloat32, {kUnknownDim, 5});
  ASSERT_FALSE(t.is_ok());
  EXPECT_NE(t.status().message().find("[?,5]"), std::string::npos);
}

TEST(Tensor, ReshapeSharesStorage) {
  Tensor t = Tensor::from_values<float>({2, 2}, {1, 2, 3, 4});
  Result<Tensor> r = t.reshaped({4});
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->raw_data(), t.raw_data());
  EXPECT_FALSE(t.reshaped({3}).is_ok());
}

TEST(Tensor, WrapKeepsOwnerAlive) {
  auto owner = std::make_shared<std::vector<float>>(std::vector<float>{7, 8});
  Tensor t = Tensor::wrap(DType::kFloat32, {2}, owner->data(), owner);
  std::weak_ptr<std::vector<float>> weak = owner;
  owner.reset();
  EXPECT_FALSE(weak.expired());
  EXPECT_EQ(t.data<float>()[1], 8.0f);
}

}  // namespace
}  // namespace edgeai
