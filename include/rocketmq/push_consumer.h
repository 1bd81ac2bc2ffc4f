#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rocketmq/consumer_option.h"
#include "rocketmq/export.h"
#include "rocketmq/message_listener.h"
#include "rocketmq/message_queue.h"
#include "rocketmq/message_selector.h"

namespace rocketmq {

// One owned queue as stats() sees it.
struct ROCKETMQ_API QueueStats {
  MessageQueue queue;
  std::int64_t committed_offset = -1;   // this client's position (-1: not known yet)
  std::int64_t broker_max_offset = -1;  // from pulls, refreshed periodically while pulls pause
  std::int64_t lag = 0;                 // broker_max_offset - committed_offset, never negative
  std::int64_t cached_messages = 0;
  std::int64_t cached_bytes = 0;
  bool suspended = false;        // by suspend(), suspend(topic) or suspend(queues)
  bool flow_controlled = false;  // its pulls wait for the listener to drain its cache (slow consumer)
  // Orderly consumers only.
  bool locked = false;                     // holds the broker's lock on the queue (clustering)
  std::int64_t last_lock_epoch_millis = 0;  // last lock or renewal, 0 when never locked
  bool consume_paused = false;             // waiting after ReconsumeLater, or for its broker lock
};

// One owned queue in lag(): how far consumption is behind the broker.
struct ROCKETMQ_API QueueLag {
  MessageQueue queue;
  std::int64_t broker_max_offset = -1;  // asked of the broker by lag() (last known if it did not answer)
  std::int64_t committed_offset = -1;
  std::int64_t cached_messages = 0;  // pulled, not yet consumed
  std::int64_t lag = 0;              // broker_max_offset - committed_offset, never negative
};

struct ROCKETMQ_API ConsumerLag {
  std::vector<QueueLag> queues;  // owned queues, in MessageQueue order
  std::int64_t total = 0;
};

// Rates of one topic over the last 10 s window (the figures of mqadmin consumerStatus).
struct ROCKETMQ_API TopicConsumeStats {
  double pull_tps = 0;  // messages pulled per second
  double pull_rt_ms = 0;
  double consume_ok_tps = 0;
  double consume_failed_tps = 0;
  double consume_rt_ms = 0;  // average listener call
  std::int64_t consume_failed_total = 0;
};

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
  std::int64_t flow_control_pauses = 0;  // pulls postponed (50 ms each) because a queue's cache was full
  int flow_controlled_queues = 0;        // queues whose pulls wait for their cache to drain now
  // Mean time from a pull's answer to the next pull of the queue being sent, in microseconds, over
  // the pulls sent straight from an answer (flow-control pauses are counted above instead): what
  // the client adds to each round trip of a pull loop.
  double pull_turnaround_us = 0;
  std::int64_t lag = 0;                  // messages behind the brokers' max offsets (sum of queues[].lag)
  std::int64_t consume_timeouts = 0;     // messages whose listener call ran past consume_timeout
  std::int64_t undecodable_messages = 0;       // pulled records this client could not decode: skipped
  std::int64_t undecodable_dead_lettered = 0;  // of those, moved to %DLQ%<group>
  std::int64_t background_errors = 0;  // failed pulls, commits, heartbeats, route refreshes (error listener)
  // Brokers asked whether they are alive because a pull waited on a connection that had received
  // nothing for 1 s; of those, the ones that did not answer within 1 s (a connection silent all
  // that time is then closed, and its pulls are sent again on a new one).
  std::int64_t silent_broker_probes = 0;
  std::int64_t silent_broker_probes_unanswered = 0;
  std::vector<QueueStats> queues;        // every owned queue, in MessageQueue order
  std::map<std::string, TopicConsumeStats> topics;  // by queue topic (%RETRY%<group> apart)
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

  // Pause delivery. Once suspend() returns no listener call starts (for the queues it covers) and
  // no pull is sent for them: messages already cached, or arriving from pulls in flight, are held.
  // Listener calls in flight finish normally; suspend() waits for them up to the shutdown timeout.
  // resume() delivers what was held and pulls again at once. Idempotent; any thread but a
  // listener's (suspend would wait for the caller's own call). Before start() too.
  //   suspend() / resume() ............ the whole consumer; resume() lifts every suspension
  //   suspend(topic) / resume(topic) .. one topic (retried messages come through %RETRY%<group>)
  //   suspend(queues) / resume(queues)  some queues; resume(topic) lifts these of its topic too
  // A queue is paused while any scope covering it is suspended.
  void suspend();
  void resume();
  void suspend(const std::string& topic);
  void resume(const std::string& topic);
  void suspend(const std::vector<MessageQueue>& queues);
  void resume(const std::vector<MessageQueue>& queues);
  // True after suspend() (the whole consumer) until resume().
  bool is_suspended() const;
  // The owned queues paused now, by any scope.
  std::vector<MessageQueue> suspended_queues() const;

  // Move the group's position and continue from there. The affected queues are stopped first
  // (nothing consumed before the seek can commit afterwards), the new offsets are committed to the
  // brokers, and the queues are taken again from them. Messages in flight may come once more.
  // Clustering: the brokers move the other members of the group too (a member owning a moved
  // queue continues from the new offset after its next pull, within about 3 s).
  // Throw ClientError for a consumer not started, a topic not subscribed or without queues, a
  // queue that does not exist, a negative offset, or a timestamp in the future.
  //   seek_by_timestamp .... every queue of `topic` to the first message stored at or after the time
  //   seek_to_offset(topic, queue_id, offset)  queue `queue_id` of EVERY broker of `topic`, each
  //                                            kept within the offsets that broker holds
  //   seek_to_offset(queue, offset)            one queue of one broker
  //   seek_to_begin / end .. every queue of `topic` to its min / max offset
  void seek_by_timestamp(const std::string& topic, std::int64_t epoch_millis);
  void seek_to_offset(const std::string& topic, int queue_id, std::int64_t offset);
  void seek_to_offset(const MessageQueue& queue, std::int64_t offset);
  void seek_to_begin(const std::string& topic);
  void seek_to_end(const std::string& topic);
  // This client's committed position of `queue` (-1 when it has none yet).
  std::int64_t committed_offset(const MessageQueue& queue) const;

  // Per owned queue, the broker's max offset (asked now, with GET_MAX_OFFSET), the committed offset,
  // the cached count and the lag; and the total. Correct while suspended or while a listener stalls.
  ConsumerLag lag() const;

  ConsumerStats stats() const;
  // "ip@instance", as shown by mqadmin consumerConnection.
  std::string client_id() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rocketmq
