#pragma once

#include <string>

#include "rocketmq/export.h"

namespace rocketmq {

enum class ExpressionType { Tag, Sql92 };

// A subscription expression with an explicit type.
class ROCKETMQ_API MessageSelector {
 public:
  // SQL92 over message properties, e.g. "amount > 100 AND region = 'us-west'".
  static MessageSelector by_sql(std::string expression) { return {ExpressionType::Sql92, std::move(expression)}; }
  // "*", "a || b", "!(a || b)".
  static MessageSelector by_tag(std::string expression) { return {ExpressionType::Tag, std::move(expression)}; }

  ExpressionType type() const noexcept { return type_; }
  const std::string& expression() const noexcept { return expression_; }

 private:
  MessageSelector(ExpressionType type, std::string expression) : type_(type), expression_(std::move(expression)) {}
  ExpressionType type_;
  std::string expression_;
};

}  // namespace rocketmq
