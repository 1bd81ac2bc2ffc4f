#include "filter/subscription.h"

#include <algorithm>
#include <chrono>

#include "common/java_hash.h"
#include "rocketmq/error.h"

namespace rocketmq::filter {

namespace {

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(" \t\r\n");
  return text.substr(begin, end - begin + 1);
}

std::int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

protocol::SubscriptionData build_subscription(const std::string& topic, const std::string& expression,
                                              ExpressionType type) {
  protocol::SubscriptionData subscription;
  subscription.topic = topic;
  subscription.sub_version = now_millis();
  const std::string trimmed = trim(expression);
  if (type == ExpressionType::Sql92) {
    if (trimmed.empty()) throw ClientError("empty SQL92 expression for topic " + topic);
    subscription.expression_type = protocol::kExpressionTypeSql92;
    subscription.sub_string = trimmed;
    return subscription;
  }
  subscription.expression_type = protocol::kExpressionTypeTag;
  if (trimmed.empty() || trimmed == "*") {
    subscription.sub_string = "*";
    return subscription;
  }
  subscription.sub_string = trimmed;
  std::size_t start = 0;
  while (start <= trimmed.size()) {
    const auto bar = trimmed.find("||", start);
    const std::string tag = trim(trimmed.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (!tag.empty() && std::find(subscription.tags_set.begin(), subscription.tags_set.end(), tag) ==
                            subscription.tags_set.end()) {
      subscription.tags_set.push_back(tag);
      subscription.code_set.push_back(common::java_string_hash(tag));
    }
    if (bar == std::string::npos) break;
    start = bar + 2;
  }
  if (subscription.tags_set.empty()) {
    throw ClientError("invalid tag expression \"" + expression + "\" for topic " + topic +
                      ": no tag between the || separators");
  }
  return subscription;
}

bool matches(const protocol::SubscriptionData& subscription, const protocol::StoredMessage& message) {
  if (subscription.expression_type != protocol::kExpressionTypeTag) return true;
  if (subscription.tags_set.empty() || subscription.sub_string == "*") return true;
  return std::find(subscription.tags_set.begin(), subscription.tags_set.end(), message.tags) !=
         subscription.tags_set.end();
}

}  // namespace rocketmq::filter
