#include "filter/subscription.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "common/java_hash.h"
#include "filter/sql92.h"
#include "protocol/response_code.h"
#include "rocketmq/error.h"

namespace rocketmq::filter {

namespace {

constexpr const char* kBlanks = " \t\r\n\f\v";

std::string trim(const std::string& text) {
  const auto begin = text.find_first_not_of(kBlanks);
  if (begin == std::string::npos) return "";
  const auto end = text.find_last_not_of(kBlanks);
  return text.substr(begin, end - begin + 1);
}

bool is_sql_keyword(const std::string& word) {
  static const char* const kKeywords[] = {"NOT",   "AND",  "OR", "BETWEEN",  "IN",         "TRUE",
                                          "FALSE", "NULL", "IS", "CONTAINS", "STARTSWITH", "ENDSWITH"};
  std::string upper = word;
  std::transform(upper.begin(), upper.end(), upper.begin(), [](unsigned char c) { return std::toupper(c); });
  return std::any_of(std::begin(kKeywords), std::end(kKeywords), [&](const char* k) { return upper == k; });
}

bool is_bare_tag(const std::string& tag) {
  if (tag.find_first_of("'\"()=<>!,") != std::string::npos) return false;
  std::vector<std::string> words;
  std::size_t start = 0;
  while ((start = tag.find_first_not_of(kBlanks, start)) != std::string::npos) {
    const auto end = tag.find_first_of(kBlanks, start);
    words.push_back(tag.substr(start, end == std::string::npos ? std::string::npos : end - start));
    start = end;
  }
  if (words.size() <= 1) return true;
  return std::none_of(words.begin(), words.end(), is_sql_keyword);
}

// The tags of "a || b || c" when every element is a bare tag; nullopt otherwise (or when no element
// is left after dropping empty ones).
std::optional<std::vector<std::string>> parse_tag_list(const std::string& text) {
  std::vector<std::string> tags;
  std::size_t start = 0;
  while (true) {
    const auto bar = text.find("||", start);
    const std::string tag =
        trim(text.substr(start, bar == std::string::npos ? std::string::npos : bar - start));
    if (!tag.empty()) {
      if (!is_bare_tag(tag)) return std::nullopt;
      if (std::find(tags.begin(), tags.end(), tag) == tags.end()) tags.push_back(tag);
    }
    if (bar == std::string::npos) break;
    start = bar + 2;
  }
  if (tags.empty()) return std::nullopt;
  return tags;
}

std::int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// subVersion is a millisecond timestamp on the wire; here it is also unique per process, because it
// is the key under which the client-side part of a subscription is found again (below).
std::int64_t next_sub_version() {
  static std::atomic<std::int64_t> last{0};
  std::int64_t previous = last.load();
  while (true) {
    const std::int64_t candidate = std::max(now_millis(), previous + 1);
    if (last.compare_exchange_weak(previous, candidate)) return candidate;
  }
}

// What the client applies to a subscription whose broker-side form ("*") does not carry it: a tag
// exclusion, or SQL92 that a broker refused. SubscriptionData is the wire struct shared with the
// rebalance and heartbeat code, so these live here, keyed by (topic, subVersion); an entry per
// subscribe() call, never removed (a few hundred bytes each).
struct ClientSideFilter {
  std::vector<std::string> excluded_tags;
  std::optional<sql92::Selector> selector;
};

class FilterRegistry {
 public:
  void add(const std::string& topic, std::int64_t sub_version,
           std::shared_ptr<const ClientSideFilter> filter) {
    std::lock_guard<std::mutex> lock(mutex_);
    filters_[{topic, sub_version}] = std::move(filter);
  }
  std::shared_ptr<const ClientSideFilter> find(const std::string& topic, std::int64_t sub_version) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = filters_.find({topic, sub_version});
    return it == filters_.end() ? nullptr : it->second;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::pair<std::string, std::int64_t>, std::shared_ptr<const ClientSideFilter>> filters_;
};

// Leaked on purpose, like the cache below: pull completions on I/O threads consult them, also
// while static destruction runs at process exit.
FilterRegistry& registry() {
  static FilterRegistry* const instance = new FilterRegistry();
  return *instance;
}

// SQL92 subscriptions sent to the broker carry their text; compile each text once.
std::shared_ptr<const sql92::Selector> compiled(const std::string& text) {
  static auto* const mutex_owner = new std::mutex();
  static auto* const cache_owner = new std::map<std::string, std::shared_ptr<const sql92::Selector>>();
  auto& mutex = *mutex_owner;
  auto& cache = *cache_owner;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(text);
    if (it != cache.end()) return it->second;
  }
  std::shared_ptr<const sql92::Selector> selector;
  try {
    selector = std::make_shared<const sql92::Selector>(sql92::Selector::parse(text));
  } catch (const sql92::SyntaxError&) {
    selector = nullptr;  // not ours to reject here: the broker answers SUBSCRIPTION_PARSE_FAILED
  }
  std::lock_guard<std::mutex> lock(mutex);
  return cache.emplace(text, selector).first->second;
}

std::string quoted(const std::string& text) { return "\"" + text + "\""; }

}  // namespace

ClassifiedExpression classify(const std::string& expression) {
  const std::string trimmed = trim(expression);
  ClassifiedExpression result;
  if (trimmed.empty() || trimmed == "*") return result;
  if (auto tags = parse_tag_list(trimmed)) {
    result.kind = ExpressionKind::Tags;
    result.tags = std::move(*tags);
    return result;
  }
  if (trimmed.front() == '!') {
    const std::string rest = trim(trimmed.substr(1));
    std::optional<std::vector<std::string>> tags;
    if (rest.size() >= 2 && rest.front() == '(' && rest.back() == ')') {
      tags = parse_tag_list(rest.substr(1, rest.size() - 2));
    } else if (rest.find("||") == std::string::npos) {
      tags = parse_tag_list(rest);
    }
    if (tags) {
      result.kind = ExpressionKind::TagExclusion;
      result.tags = std::move(*tags);
      return result;
    }
  }
  result.kind = ExpressionKind::Sql92;
  return result;
}

ExpressionType detect_expression_type(const std::string& expression) {
  return classify(expression).kind == ExpressionKind::Sql92 ? ExpressionType::Sql92 : ExpressionType::Tag;
}

protocol::SubscriptionData build_subscription(const std::string& topic, const std::string& expression,
                                              ExpressionType type) {
  protocol::SubscriptionData subscription;
  subscription.topic = topic;
  subscription.sub_version = next_sub_version();
  const std::string trimmed = trim(expression);

  if (type == ExpressionType::Sql92) {
    if (trimmed.empty()) throw ClientError("empty SQL92 expression for topic " + topic);
    try {
      sql92::Selector::parse(trimmed);
    } catch (const sql92::SyntaxError& error) {
      throw ClientError(
          "invalid subscription expression " + quoted(expression) + " for topic " + topic +
          ": not a tag expression (\"*\", \"a || b\", \"!(a || b)\") and not valid SQL92: " + error.reason() +
          " at column " + std::to_string(error.column() + expression.find_first_not_of(kBlanks)));
    }
    subscription.expression_type = protocol::kExpressionTypeSql92;
    subscription.sub_string = trimmed;
    return subscription;
  }

  subscription.expression_type = protocol::kExpressionTypeTag;
  const auto classified = classify(trimmed);
  switch (classified.kind) {
    case ExpressionKind::All:
      subscription.sub_string = "*";
      return subscription;
    case ExpressionKind::Tags:
      subscription.sub_string = trimmed;
      for (const auto& tag : classified.tags) {
        subscription.tags_set.push_back(tag);
        subscription.code_set.push_back(common::java_string_hash(tag));
      }
      return subscription;
    case ExpressionKind::TagExclusion: {
      subscription.sub_string = "*";
      auto filter = std::make_shared<ClientSideFilter>();
      filter->excluded_tags = classified.tags;
      registry().add(topic, subscription.sub_version, std::move(filter));
      return subscription;
    }
    case ExpressionKind::Sql92:
      break;
  }
  if (trimmed.find_first_not_of("| \t\r\n") == std::string::npos) {
    throw ClientError("invalid tag expression " + quoted(expression) + " for topic " + topic +
                      ": no tag between the || separators");
  }
  throw ClientError("invalid tag expression " + quoted(expression) + " for topic " + topic +
                    ": expected \"*\", \"a || b\" or \"!(a || b)\" with bare tags; SQL92 needs "
                    "MessageSelector::by_sql or subscribe(topic, expression)");
}

bool matches(const protocol::SubscriptionData& subscription, const protocol::StoredMessage& message) {
  if (subscription.expression_type == protocol::kExpressionTypeSql92) {
    auto selector = compiled(subscription.sub_string);
    return !selector || selector->matches(message.properties);
  }
  if (subscription.sub_string == "*" || subscription.tags_set.empty()) {
    auto filter = registry().find(subscription.topic, subscription.sub_version);
    if (!filter) return true;
    if (filter->selector) return filter->selector->matches(message.properties);
    return std::find(filter->excluded_tags.begin(), filter->excluded_tags.end(), message.tags) ==
           filter->excluded_tags.end();
  }
  return std::find(subscription.tags_set.begin(), subscription.tags_set.end(), message.tags) !=
         subscription.tags_set.end();
}

bool accepts_everything(const protocol::SubscriptionData& subscription) {
  if (subscription.expression_type == protocol::kExpressionTypeSql92) return false;
  if (subscription.sub_string != "*" && !subscription.tags_set.empty()) return false;
  return !registry().find(subscription.topic, subscription.sub_version);
}

std::optional<std::string> broker_refuses_sql92(const std::exception_ptr& error) {
  if (!error) return std::nullopt;
  try {
    std::rethrow_exception(error);
  } catch (const BrokerError& broker_error) {
    const int code = broker_error.response_code();
    if (code == static_cast<int>(protocol::ResponseCode::kSystemError) &&
        broker_error.remark().find("does not support consumer to filter message by") != std::string::npos) {
      return "it does not filter by SQL92 (enablePropertyFilter=false)";
    }
    if (code == static_cast<int>(protocol::ResponseCode::kSubscriptionParseFailed)) {
      return "it cannot parse the expression (brokers before 5.0 have no CONTAINS, STARTSWITH or ENDSWITH)";
    }
    return std::nullopt;
  } catch (...) {
    return std::nullopt;
  }
}

protocol::SubscriptionData client_side_fallback(const protocol::SubscriptionData& sql92_subscription) {
  protocol::SubscriptionData broad;
  broad.topic = sql92_subscription.topic;
  broad.sub_version = next_sub_version();
  broad.expression_type = protocol::kExpressionTypeTag;
  broad.sub_string = "*";
  auto filter = std::make_shared<ClientSideFilter>();
  if (auto selector = compiled(sql92_subscription.sub_string)) filter->selector = *selector;
  registry().add(broad.topic, broad.sub_version, std::move(filter));
  return broad;
}

}  // namespace rocketmq::filter
