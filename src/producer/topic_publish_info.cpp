#include "producer/topic_publish_info.h"

#include <random>

#include "rocketmq/error.h"

namespace rocketmq::producer {

namespace {

// Producers of one process start at different queues, so that they do not all load queue 0 first.
std::uint32_t random_start() {
  static thread_local std::mt19937 random{std::random_device{}()};
  return static_cast<std::uint32_t>(random());
}

}  // namespace

TopicPublishInfo::TopicPublishInfo(const std::string& topic, const protocol::TopicRouteData& route,
                                   bool from_default_topic, int max_queues_per_broker)
    : from_default_topic_(from_default_topic), next_index_(random_start()) {
  for (auto& queue : route.publish_queues(topic)) {
    if (max_queues_per_broker > 0 && queue.queue_id >= max_queues_per_broker) continue;
    queues_.push_back(std::move(queue));
  }
}

TopicPublishInfo::TopicPublishInfo(std::vector<MessageQueue> queues, bool from_default_topic)
    : queues_(std::move(queues)), from_default_topic_(from_default_topic), next_index_(random_start()) {}

MessageQueue TopicPublishInfo::select_queue(const std::string& last_failed_broker,
                                            const LatencyFaultTolerance* fault) const {
  if (queues_.empty()) throw ClientError("no writable queue to select from");
  const std::size_t count = queues_.size();
  const std::size_t start = next_index_.fetch_add(1, std::memory_order_relaxed);
  if (fault != nullptr) {
    const auto now = LatencyFaultTolerance::Clock::now();
    for (std::size_t i = 0; i < count; ++i) {
      const auto& queue = queues_[(start + i) % count];
      if (queue.broker_name != last_failed_broker && fault->is_available(queue.broker_name, now)) return queue;
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    const auto& queue = queues_[(start + i) % count];
    if (queue.broker_name != last_failed_broker) return queue;
  }
  return queues_[start % count];
}

}  // namespace rocketmq::producer
