#include "core/shape.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace edgeai {
namespace {

TEST(Shape, ElementCount) {
  EXPECT_EQ(element_count({}), 1);
  EXPECT_EQ(element_count({2, 3, 4}), 24);
  EXPECT_EQ(element_count({2, 0, 4}), 0);
  EXPECT_EQ(element_count({2, kUnknownDim}), std::nullopt);
}

TEST(Shape, ElementCountRefusesOverflow) {
  const std::int64_t big = std::numeric_limits<std::int64_t>::max() / 2;
  EXPECT_EQ(element_count({big, 3}), std::nullopt);
}

TEST(Shape, BroadcastFollowsNumpyRules) {
  EXPECT_EQ(broadcast_shapes({2, 3, 4}, {4}), (Shape{2, 3, 4}));
  EXPECT_EQ(broadcast_shapes({2, 1, 4}, {3, 1}), (Shape{2, 3, 4}));
  EXPECT_EQ(broadcast_shapes({}, {5}), (Shape{5}));
  EXPECT_EQ(broadcast_shapes({2, 3}, {4}), std::nullopt);
}

TEST(Shape, StridesAndAxes) {
  EXPECT_EQ(row_major_strides({2, 3, 4}), (std::vector<std::int64_t>{12, 4, 1}));
  EXPECT_EQ(normalize_axis(-1, 4), 3);
  EXPECT_EQ(normalize_axis(4, 4), std::nullopt);
  EXPECT_EQ(shape_to_string({1, kUnknownDim, 224}), "[1,?,224]");
}

}  // namespace
}  // namespace edgeai
