#include "core/status.hpp"

#include <gtest/gtest.h>

namespace edgeai {
namespace {

Result<int> parse_positive(int x) {
  if (x <= 0) return invalid_argument("expected a positive number, got ", x);
  return x;
}

Result<int> doubled(int x) {
  EDGEAI_ASSIGN_OR_RETURN(int v, parse_positive(x));
  return 2 * v;
}

TEST(Status, OkByDefault) {
  Status s;
  EXPECT_TRUE(s.is_ok());
  EXPECT_EQ(s.to_string(), "ok");
}

TEST(Status, MessageAndContext) {
  Status s = data_loss("truncated header").with_context("model.eai");
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_EQ(s.to_string(), "data loss: model.eai: truncated header");
}

TEST(Result, PropagatesErrorsThroughAssignOrReturn) {
  EXPECT_EQ(doubled(4).value(), 8);
  Result<int> bad = doubled(-3);
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(), "expected a positive number, got -3");
}

}  // namespace
}  // namespace edgeai
