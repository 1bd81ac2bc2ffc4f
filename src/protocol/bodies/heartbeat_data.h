#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/bodies/json_util.h"

namespace rocketmq {
namespace protocol {

// Enum names as the Java peers spell them (fastjson writes enums by name).
inline constexpr const char* kConsumeActively = "CONSUME_ACTIVELY";    // pull
inline constexpr const char* kConsumePassively = "CONSUME_PASSIVELY";  // push
inline constexpr const char* kClustering = "CLUSTERING";
inline constexpr const char* kBroadcasting = "BROADCASTING";
inline constexpr const char* kConsumeFromLastOffset = "CONSUME_FROM_LAST_OFFSET";
inline constexpr const char* kConsumeFromFirstOffset = "CONSUME_FROM_FIRST_OFFSET";
inline constexpr const char* kConsumeFromTimestamp = "CONSUME_FROM_TIMESTAMP";
inline constexpr const char* kExpressionTypeTag = "TAG";
inline constexpr const char* kExpressionTypeSql92 = "SQL92";

struct SubscriptionData {
  std::string topic;
  std::string sub_string = "*";
  std::vector<std::string> tags_set;
  std::vector<int32_t> code_set;  // Java String.hashCode of each tag
  int64_t sub_version = 0;        // ms timestamp of when the subscription was built
  std::string expression_type = kExpressionTypeTag;
  bool class_filter_mode = false;

  friend bool operator==(const SubscriptionData& a, const SubscriptionData& b) {
    return a.topic == b.topic && a.sub_string == b.sub_string && a.tags_set == b.tags_set &&
           a.code_set == b.code_set && a.sub_version == b.sub_version &&
           a.expression_type == b.expression_type &&
           a.class_filter_mode == b.class_filter_mode;
  }
};

void write_subscription_data(json::Writer& writer, const SubscriptionData& subscription);
SubscriptionData subscription_data_from_json(const rapidjson::Value& value, const char* context);

struct ProducerData {
  std::string group_name;

  friend bool operator==(const ProducerData& a, const ProducerData& b) {
    return a.group_name == b.group_name;
  }
};

struct ConsumerData {
  std::string group_name;
  std::string consume_type = kConsumePassively;
  std::string message_model = kClustering;
  std::string consume_from_where = kConsumeFromLastOffset;
  std::vector<SubscriptionData> subscription_data_set;
  bool unit_mode = false;

  friend bool operator==(const ConsumerData& a, const ConsumerData& b) {
    return a.group_name == b.group_name && a.consume_type == b.consume_type &&
           a.message_model == b.message_model && a.consume_from_where == b.consume_from_where &&
           a.subscription_data_set == b.subscription_data_set && a.unit_mode == b.unit_mode;
  }
};

// HEART_BEAT body (docs/protocol.md §7.3).
struct HeartbeatData {
  std::string client_id;
  std::vector<ProducerData> producer_data_set;
  std::vector<ConsumerData> consumer_data_set;
  int32_t heartbeat_fingerprint = 0;  // 0 = heartbeat V1
  bool without_sub = false;

  // Compact JSON with fastjson's sorted keys, byte-identical to what a Java client sends.
  std::string encode() const;
  static HeartbeatData decode(std::string_view json);

  friend bool operator==(const HeartbeatData& a, const HeartbeatData& b) {
    return a.client_id == b.client_id && a.producer_data_set == b.producer_data_set &&
           a.consumer_data_set == b.consumer_data_set && a.heartbeat_fingerprint == b.heartbeat_fingerprint &&
           a.without_sub == b.without_sub;
  }
};

}  // namespace protocol
}  // namespace rocketmq
