#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "rocketmq/consumer_option.h"
#include "rocketmq/export.h"
#include "rocketmq/message_listener.h"
#include "rocketmq/message_selector.h"

namespace rocketmq {

// Counters of a running consumer, for monitoring and tests.
struct ROCKETMQ_API ConsumerStats {
  std::int64_t consumed_ok = 0;      // messages whose listener call returned Success
  std::int64_t consumed_failed = 0;  // messages handed back for a retry
  std::int64_t pulls = 0;            // pull requests answered
  std::int64_t pull_errors = 0;
  std::int64_t cached_messages = 0;  // currently held in process queues
  std::int64_t cached_bytes = 0;
  int consume_threads = 0;           // current size of the elastic consume pool
  int consume_threads_peak = 0;
  int owned_queues = 0;
  std::int64_t flow_control_pauses = 0;  // times a queue's pull waited because its cache was full
  std::int64_t lag = 0;                  // messages behind the brokers' max offsets (last pull)
};

// Receives messages pushed by the SDK: it pulls from the brokers with long polling and calls the
// registered listener on its consume threads.
//
//   rocketmq::PushConsumer consumer(option);
//   consumer.subscribe("TopicTest", "*");
//   consumer.register_message_listener(std::make_unique<MyListener>());
//   consumer.start();
//   ...
//   consumer.shutdown();
//
// Thread-safe. Setup calls (subscribe, register_message_listener, start) throw ClientError with a
// message naming the problem; background failures are logged, counted and retried, never thrown.
class ROCKETMQ_API PushConsumer {
 public:
  explicit PushConsumer(ConsumerOption option);
  // Shuts down if still running.
  ~PushConsumer();
  PushConsumer(const PushConsumer&) = delete;
  PushConsumer& operator=(const PushConsumer&) = delete;

  // Tags ("*", "a || b", "!(a || b)") or an SQL92 expression. Before or after start().
  void subscribe(const std::string& topic, const std::string& expression);
  void subscribe_with_selector(const std::string& topic, const MessageSelector& selector);
  void unsubscribe(const std::string& topic);

  void register_message_listener(std::unique_ptr<MessageListenerConcurrently> listener);
  void register_message_listener(std::unique_ptr<MessageListenerOrderly> listener);

  void start();
  // Stops pulling, lets listener calls in flight finish (up to the shutdown timeout), commits
  // offsets, unregisters from the brokers. Idempotent; safe from any thread but a listener's.
  void shutdown();

  // Pause and resume pulling; messages already cached are still delivered.
  void suspend();
  void resume();
  bool is_suspended() const;

  // Move the group's position for every queue of `topic` (or one queue) and continue from there.
  void seek_by_timestamp(const std::string& topic, std::int64_t epoch_millis);
  void seek_to_offset(const std::string& topic, int queue_id, std::int64_t offset);

  ConsumerStats stats() const;
  // "ip@instance", as shown by mqadmin consumerConnection.
  std::string client_id() const;

  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace rocketmq
