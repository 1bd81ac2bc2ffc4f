#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rocketmq/consumer_option.h"
#include "rocketmq/export.h"
#include "rocketmq/message_ext.h"
#include "rocketmq/message_queue.h"
#include "rocketmq/message_selector.h"

namespace rocketmq {

// Counters of a running lite pull consumer, for monitoring and tests.
struct ROCKETMQ_API LitePullStats {
  std::int64_t pulls = 0;          // pull requests answered
  std::int64_t pull_errors = 0;    // failed pulls (retried after a back-off; a refused lite pull at once)
  std::int64_t polled = 0;         // messages handed out by poll()
  std::int64_t cached_messages = 0;  // pulled, not polled yet
  std::int64_t cached_bytes = 0;
  // Pulls sent as LITE_PULL_MESSAGE (brokers from 5.0 on) and as PULL_MESSAGE (older brokers, and
  // brokers that answered that they do not serve lite pulls).
  std::int64_t lite_pull_requests = 0;
  std::int64_t classic_pull_requests = 0;
  std::int64_t undecodable_messages = 0;  // pulled records this client could not decode: skipped
  int owned_queues = 0;
};

// The application asks for messages: the SDK keeps one pull loop per queue it reads (long polling,
// up to process_queue_size messages and process_queue_bytes bytes buffered per queue) and poll()
// hands out what arrived, one pull's messages at a time, in queue order per queue.
//
//   rocketmq::LitePullConsumer consumer(option);
//   consumer.subscribe("TopicTest", "*");      // the group shares the queues, or, after start():
//   consumer.start();
//   // consumer.assign(consumer.fetch_message_queues("TopicTest"));  // exactly these queues
//   while (running) {
//     for (const auto& message : consumer.poll(std::chrono::seconds(1))) handle(message);
//     // consumer.commit();  // with set_auto_commit(false): after handling
//   }
//   consumer.shutdown();
//
// Positions: poll() moves a queue's consumed position past the messages it returns. With auto
// commit (the default) that position is committed every persist_offset_interval and at shutdown,
// so a crash after poll() and before handling loses what was polled (the Java client's rule);
// with set_auto_commit(false) only commit() commits it, after the application has handled the
// messages (at least once). commit() commits what every thread has polled: with several polling
// threads, commit only once all of them have handled what they polled.
//
// Brokers from 5.0 on get LITE_PULL_MESSAGE (they serve lite pulls on a pool of their own, apart
// from push consumers' pulls); older brokers PULL_MESSAGE, decided per broker by the version its
// heartbeat answer gave, and by its answer if it refuses a lite pull.
//
// Thread-safe; poll() may be called from several threads (each call gets whole pull results).
// Setup calls throw ClientError naming the problem; background failures are logged, counted and
// retried, never thrown.
class ROCKETMQ_API LitePullConsumer {
 public:
  explicit LitePullConsumer(ConsumerOption option);
  // Shuts down if still running.
  ~LitePullConsumer();
  LitePullConsumer(const LitePullConsumer&) = delete;
  LitePullConsumer& operator=(const LitePullConsumer&) = delete;

  // The group's queues of `topic` are shared among its consumers (rebalanced as for a push
  // consumer). Tags or an SQL92 expression. Before start() only; not together with assign().
  void subscribe(const std::string& topic, const std::string& expression);
  void subscribe_with_selector(const std::string& topic, const MessageSelector& selector);
  // Reads exactly `queues` (no rebalancing), every message of them. Before or after start(); a later
  // call replaces the set (queues left out stop, with their positions committed under auto commit).
  void assign(const std::vector<MessageQueue>& queues);
  // Default true: see the class comment. Before start().
  void set_auto_commit(bool enabled);

  void start();
  // Stops pulling, wakes poll() callers (they return empty), commits the consumed positions (under
  // auto commit; the last commit()'s otherwise), unregisters from the brokers. Idempotent. From any
  // application thread, not from the error listener. The destructor calls it, then waits for the
  // threads it woke to leave poll().
  void shutdown();

  // Waits up to `timeout` for messages and returns one pull's worth (at most pull_batch_size);
  // empty when nothing came in time, or after shutdown(). Throws ClientError before start().
  std::vector<MessageExt> poll(std::chrono::milliseconds timeout);

  // The readable queues of `topic` per its route (asks the name server). Throws ClientError when
  // the topic has none, ConnectError when no name server answers.
  std::vector<MessageQueue> fetch_message_queues(const std::string& topic);
  // The queues read now (assigned, or allocated by the last rebalance).
  std::vector<MessageQueue> assignment() const;

  // Moves a queue read now to `offset` (within the broker's min and max offsets): what was pulled
  // and not polled yet is discarded and reading goes on from there. Throws ClientError for a queue
  // not read now or an offset out of range.
  void seek(const MessageQueue& queue, std::int64_t offset);
  void seek_to_begin(const MessageQueue& queue);
  void seek_to_end(const MessageQueue& queue);
  // Pulling stops for these queues and poll() returns none of their messages until resume().
  void pause(const std::vector<MessageQueue>& queues);
  void resume(const std::vector<MessageQueue>& queues);

  // Commits the consumed position of every queue read now, synchronously; a broker that did not
  // take one is reported with ClientError after the others were committed.
  void commit();
  // The position the group has committed for `queue` (asked of its broker; -1 when none). Throws
  // ClientError when the broker could not be asked.
  std::int64_t committed_offset(const MessageQueue& queue) const;

  LitePullStats stats() const;
  // "ip@instance", as shown by mqadmin consumerConnection.
  std::string client_id() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rocketmq
