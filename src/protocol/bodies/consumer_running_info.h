#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/bodies/heartbeat_data.h"
#include "protocol/message_queue_data.h"

namespace rocketmq {
namespace protocol {

struct ProcessQueueInfo {
  int64_t commit_offset = 0;
  int64_t cached_msg_min_offset = 0;
  int64_t cached_msg_max_offset = 0;
  int32_t cached_msg_count = 0;
  int32_t cached_msg_size_in_mib = 0;
  int64_t transaction_msg_min_offset = 0;
  int64_t transaction_msg_max_offset = 0;
  int32_t transaction_msg_count = 0;
  bool locked = false;
  int64_t try_unlock_times = 0;
  int64_t last_lock_timestamp = 0;
  bool droped = false;  // sic, the Java property name
  int64_t last_pull_timestamp = 0;
  int64_t last_consume_timestamp = 0;

  friend bool operator==(const ProcessQueueInfo& a, const ProcessQueueInfo& b);
};

struct ConsumeStatus {
  double pull_rt = 0;
  double pull_tps = 0;
  double consume_rt = 0;
  double consume_ok_tps = 0;
  double consume_failed_tps = 0;
  int64_t consume_failed_msgs = 0;

  friend bool operator==(const ConsumeStatus& a, const ConsumeStatus& b);
};

// GET_CONSUMER_RUNNING_INFO answer body (docs/protocol.md §7.5).
struct ConsumerRunningInfo {
  std::map<std::string, std::string> properties;
  std::vector<SubscriptionData> subscription_set;
  std::map<MessageQueue, ProcessQueueInfo> mq_table;
  std::map<std::string, ConsumeStatus> status_table;  // topic → status
  std::optional<std::string> jstack;

  // fastjson form: sorted keys, mqTable keyed by bare MessageQueue objects (like the Go client).
  std::string encode() const;
  static ConsumerRunningInfo decode(std::string_view json);

  friend bool operator==(const ConsumerRunningInfo& a, const ConsumerRunningInfo& b);
};

}  // namespace protocol
}  // namespace rocketmq
