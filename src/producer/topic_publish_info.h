#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "producer/latency_fault_tolerance.h"
#include "protocol/bodies/topic_route_data.h"
#include "rocketmq/message_queue.h"

namespace rocketmq::producer {

// The writable queues of one topic as a producer sees them, plus the round-robin cursor of queue
// selection. Queues are immutable; a route change replaces the whole object.
class TopicPublishInfo {
 public:
  // `max_queues_per_broker` > 0 limits the queue ids taken from each broker; used when the route is
  // borrowed from TBW102 for a topic the broker will auto-create with that many queues.
  TopicPublishInfo(const std::string& topic, const protocol::TopicRouteData& route, bool from_default_topic = false,
                   int max_queues_per_broker = 0);
  explicit TopicPublishInfo(std::vector<MessageQueue> queues, bool from_default_topic = false);

  const std::vector<MessageQueue>& queues() const noexcept { return queues_; }
  bool empty() const noexcept { return queues_.empty(); }
  // True when the topic had no route and the queues come from TBW102 (auto-create on first send).
  bool from_default_topic() const noexcept { return from_default_topic_; }

  // The next queue in round-robin order, skipping queues of `last_failed_broker` (the broker the
  // previous attempt of this send failed on) and, when `fault` is given, brokers it avoids. Falls
  // back to any queue of another broker, then to any queue at all. Requires a non-empty list.
  MessageQueue select_queue(const std::string& last_failed_broker, const LatencyFaultTolerance* fault) const;

  // True on the first call only: lets the first successful send to an auto-created topic ask for
  // the topic's own route once instead of once per message.
  bool claim_route_refresh() const noexcept { return !route_refresh_claimed_.exchange(true); }

 private:
  std::vector<MessageQueue> queues_;
  bool from_default_topic_ = false;
  mutable std::atomic<std::uint32_t> next_index_;
  mutable std::atomic<bool> route_refresh_claimed_{false};
};

}  // namespace rocketmq::producer
