#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "rocketmq/export.h"

namespace rocketmq {

// A message to send: topic, tags, keys, body and user properties. A plain value type.
class ROCKETMQ_API Message {
 public:
  Message() = default;
  Message(std::string topic, std::string body);
  Message(std::string topic, std::string tags, std::string body);

  const std::string& topic() const noexcept { return topic_; }
  void set_topic(std::string topic) { topic_ = std::move(topic); }

  // One tag; broker-side filtering matches it exactly.
  std::string tags() const { return property("TAGS"); }
  void set_tags(const std::string& tags);

  // Space-separated index keys (queryable with `mqadmin queryMsgByKey`).
  std::string keys() const { return property("KEYS"); }
  void set_keys(const std::string& keys);

  const std::string& body() const noexcept { return body_; }
  void set_body(std::string body) { body_ = std::move(body); }

  std::int32_t flag() const noexcept { return flag_; }
  void set_flag(std::int32_t flag) noexcept { flag_ = flag; }

  // Delay level 1..18 of the broker's messageDelayLevel table (1s 5s 10s 30s 1m ... 2h); 0 = none.
  int delay_level() const;
  void set_delay_level(int level);

  // Deliver at an absolute time (RocketMQ 5 timer messages; milliseconds since the epoch).
  void set_delivery_timestamp(std::int64_t epoch_millis);
  std::int64_t delivery_timestamp() const;

  // User properties. Names used by RocketMQ itself (TAGS, KEYS, UNIQ_KEY, DELAY, ...) are refused
  // by set_property with ClientError; use the dedicated setters.
  void set_property(const std::string& name, const std::string& value);
  std::string property(const std::string& name) const;  // empty when absent
  bool has_property(const std::string& name) const;
  void remove_property(const std::string& name);
  const std::map<std::string, std::string>& properties() const noexcept { return properties_; }

  // Internal: sets any property, including reserved ones.
  void set_system_property(const std::string& name, const std::string& value);

 private:
  std::string topic_;
  std::string body_;
  std::int32_t flag_ = 0;
  std::map<std::string, std::string> properties_;
};

}  // namespace rocketmq
