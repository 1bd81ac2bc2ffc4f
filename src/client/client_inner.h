#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocol/bodies/client_bodies.h"
#include "protocol/bodies/consumer_running_info.h"
#include "protocol/bodies/heartbeat_data.h"
#include "protocol/bodies/topic_route_data.h"
#include "protocol/stored_message.h"
#include "rocketmq/error.h"
#include "rocketmq/message_queue.h"

namespace rocketmq::client {

// What an MQClientInstance needs from a consumer registered with it. Called on the instance's
// scheduler thread (rebalance, persistence, route updates) or a processor thread (broker requests).
class ConsumerInner {
 public:
  virtual ~ConsumerInner() = default;
  virtual const std::string& group() const = 0;
  virtual protocol::ConsumerData consumer_data() const = 0;
  virtual std::set<std::string> subscribed_topics() const = 0;
  virtual void on_topic_route(const std::string& topic, const protocol::TopicRouteData& route) = 0;
  virtual void do_rebalance() = 0;
  virtual void persist_offsets() = 0;
  virtual protocol::ConsumerRunningInfo running_info() = 0;
  virtual void reset_offsets(const std::string& topic, const std::map<MessageQueue, std::int64_t>& offsets) = 0;
  virtual std::map<MessageQueue, std::int64_t> offsets_of(const std::string& topic) = 0;
  virtual protocol::ConsumeMessageDirectlyResult consume_directly(protocol::StoredMessage message,
                                                                  const std::string& broker_name) = 0;
  // A failure of the instance's background work that concerns this consumer (a heartbeat, a route
  // refresh of one of its topics); on the scheduler thread. Counted and handed to its listener.
  virtual void on_background_error(const BackgroundError& error) = 0;
};

class ProducerInner {
 public:
  virtual ~ProducerInner() = default;
  virtual const std::string& group() const = 0;
  virtual std::set<std::string> published_topics() const = 0;
  virtual void on_topic_route(const std::string& topic, const protocol::TopicRouteData& route) = 0;
  // As ConsumerInner::on_background_error.
  virtual void on_background_error(const BackgroundError& error) = 0;
};

}  // namespace rocketmq::client
