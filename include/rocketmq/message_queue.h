#pragma once

#include <cstdint>
#include <string>
#include <tuple>

#include "rocketmq/export.h"

namespace rocketmq {

// One queue of a topic on one broker.
struct ROCKETMQ_API MessageQueue {
  std::string topic;
  std::string broker_name;
  std::int32_t queue_id = 0;

  std::string to_string() const {
    return "MessageQueue[topic=" + topic + ", broker=" + broker_name + ", queue=" + std::to_string(queue_id) + "]";
  }
  friend bool operator==(const MessageQueue& a, const MessageQueue& b) {
    return a.queue_id == b.queue_id && a.topic == b.topic && a.broker_name == b.broker_name;
  }
  friend bool operator!=(const MessageQueue& a, const MessageQueue& b) { return !(a == b); }
  friend bool operator<(const MessageQueue& a, const MessageQueue& b) {
    return std::tie(a.topic, a.broker_name, a.queue_id) < std::tie(b.topic, b.broker_name, b.queue_id);
  }
};

}  // namespace rocketmq
