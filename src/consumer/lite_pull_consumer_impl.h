#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "client/client_inner.h"
#include "client/mq_client_instance.h"
#include "consumer/offset_store.h"
#include "consumer/process_queue.h"
#include "consumer/pull_api_wrapper.h"
#include "consumer/rebalance_impl.h"
#include "rocketmq/lite_pull_consumer.h"

namespace rocketmq::consumer {

// The lite pull consumer: the shared MQClientInstance, a RebalanceImpl (subscribe mode) or the
// application's assignment (assign mode), one pull loop per queue read, a buffer of pulled results
// that poll() empties, and the offset store. See LitePullConsumer for the contract.
//
// How a queue is read:
//   QueueState ...... one per queue read: where the next pull starts, the consumed position (past
//                     the last message poll() returned), what is buffered, paused or not. A seek
//                     bumps its epoch: pulls and buffered results of an older epoch are discarded.
//   pull loop ....... pull() sends one async pull (long polling at the broker), on_pulled() buffers
//                     its messages and sends the next; a paused queue, or one whose buffer holds
//                     process_queue_size messages or process_queue_bytes bytes, waits on the
//                     scheduler instead. A loop whose start offset is not known yet computes it on
//                     the scheduler (committed offset, else consume_from_where).
//   buffer .......... pull results in arrival order, so in queue order per queue; poll() takes the
//                     first one of a queue not paused. A pull whose messages were all filtered out
//                     leaves an empty result behind whose offset poll() applies silently, so the
//                     consumed position passes filtered offsets only after what came before them.
//   request code .... LITE_PULL_MESSAGE for a broker whose heartbeat answered a 5.0 or later
//                     version (or none yet), PULL_MESSAGE for an older one or one that refused a
//                     lite pull (REQUEST_CODE_NOT_SUPPORTED, or NO_PERMISSION with lite pulls off).
//
// Threads: pull() and on_pulled() on I/O threads (delays and retries on their timers); offset
// computation, rebalance, route updates and periodic commits on the scheduler; poll(), seek(), commit() on the
// application's threads. mutex_ guards the queue states, the buffer and the subscriptions, and is
// never held across a request to a broker.
class LitePullConsumerImpl : public client::ConsumerInner,
                             public RebalanceHost,
                             public std::enable_shared_from_this<LitePullConsumerImpl> {
 public:
  explicit LitePullConsumerImpl(ConsumerOption option);
  ~LitePullConsumerImpl() override = default;

  void subscribe(const std::string& topic, const std::string& expression, ExpressionType type);
  void assign(const std::vector<MessageQueue>& queues);
  void set_auto_commit(bool enabled);
  void start();
  void shutdown();
  std::vector<MessageExt> poll(std::chrono::milliseconds timeout);
  std::vector<MessageQueue> fetch_message_queues(const std::string& topic);
  std::vector<MessageQueue> assignment() const;
  void seek(const MessageQueue& queue, std::int64_t offset);
  void seek_to_begin(const MessageQueue& queue);
  void seek_to_end(const MessageQueue& queue);
  void pause(const std::vector<MessageQueue>& queues);
  void resume(const std::vector<MessageQueue>& queues);
  void commit();
  std::int64_t committed_offset(const MessageQueue& queue) const;
  // Until no thread is inside poll() (the facade's destructor, after shutdown()).
  void wait_for_pollers();
  LitePullStats stats() const;
  std::string client_id() const;

  // client::ConsumerInner
  const std::string& group() const override { return option_.group_name(); }
  protocol::ConsumerData consumer_data() const override;
  std::set<std::string> subscribed_topics() const override;
  void on_topic_route(const std::string& topic, const protocol::TopicRouteData& route) override;
  void on_background_error(const BackgroundError& error) override;
  void do_rebalance() override;
  void persist_offsets() override;
  protocol::ConsumerRunningInfo running_info() override;
  void reset_offsets(const std::string& topic, const std::map<MessageQueue, std::int64_t>& offsets) override;
  std::map<MessageQueue, std::int64_t> offsets_of(const std::string& topic) override;
  protocol::ConsumeMessageDirectlyResult consume_directly(protocol::StoredMessage message,
                                                          const std::string& broker_name) override;

  // consumer::RebalanceHost (subscribe mode)
  std::vector<std::string> find_consumer_ids(const std::string& topic) override;
  std::int64_t compute_pull_offset(const MessageQueue& queue) override;
  void start_pull(const MessageQueue& queue, const std::shared_ptr<ProcessQueue>& process_queue,
                  std::int64_t offset) override;
  bool on_queue_dropped(const MessageQueue& queue, const std::shared_ptr<ProcessQueue>& process_queue) override;

 private:
  enum class State { Created, Running, ShuttingDown, Stopped };

  struct QueueState {
    MessageQueue queue;
    std::shared_ptr<ProcessQueue> process_queue;  // marked dropped when the queue is given up
    std::uint64_t epoch = 0;
    std::int64_t next_pull_offset = -1;  // -1: not known yet (computed on the scheduler)
    std::int64_t consumed_offset = -1;   // -1: nothing known to commit
    std::int64_t buffered_messages = 0;
    std::int64_t buffered_bytes = 0;
    std::int64_t buffered_results = 0;  // empty ones too
    bool paused = false;
  };
  struct PulledBatch {
    std::shared_ptr<QueueState> state;
    std::uint64_t epoch = 0;
    std::vector<MessageExt> messages;
    std::int64_t next_offset = 0;  // the consumed position once this batch is polled
    std::int64_t bytes = 0;
  };
  // One pull loop: a queue's state and the epoch it was started for.
  struct Loop {
    std::shared_ptr<QueueState> state;
    std::uint64_t epoch = 0;
  };

  void pull(const Loop& loop);
  // pull() with every exception caught: logged, and the loop goes on after a back-off instead of
  // ending silently.
  void guarded_pull(const Loop& loop) noexcept;
  void guarded_later(const Loop& loop) noexcept {
    try {
      pull_later(loop, std::chrono::milliseconds(1000));
    } catch (...) {
      loop.state->process_queue->mark_dropped();  // out of memory: retaken by a rebalance or assign()
    }
  }
  // On an I/O thread's timer (never blocks).
  void pull_later(const Loop& loop, std::chrono::milliseconds delay);
  void on_pulled(const Loop& loop, const std::string& address, std::int64_t offset, bool lite,
                 client::PullResult&& result, std::exception_ptr error);
  // On the scheduler: the loop's start offset, then its first pull.
  void compute_start_and_pull(const Loop& loop);
  bool lite_pull_for(const std::string& address) const;
  bool alive_locked(const Loop& loop) const;
  // The queue's consumed position moved (under mutex_): remembered, and with auto commit handed to
  // the offset store for the next periodic commit.
  void set_consumed_locked(QueueState& state, std::int64_t offset);
  // Drops the buffered results of `state` (under mutex_).
  void discard_buffered_locked(QueueState& state);
  // Under mutex_: moves `state` to `offset` (a seek, a broker's reset) and returns the loop to start.
  Loop reposition_locked(const std::shared_ptr<QueueState>& state, std::int64_t offset);
  // Assign mode, once running: starts the assigned queues not read yet, stops the others.
  void apply_assignment();
  // Synchronous commits of `queues`; a broker that fails is given up for the rest. Returns the
  // queues not committed.
  std::vector<MessageQueue> persist_queues(const std::vector<MessageQueue>& queues);
  std::shared_ptr<QueueState> require_read(const char* what, const MessageQueue& queue) const;
  void seek_to_edge(const char* what, const MessageQueue& queue, bool begin);
  // Logs and reports (error listener, "commit_offset") each queue whose commit failed.
  void report_uncommitted(const char* why, const std::vector<MessageQueue>& queues);
  void require_running(const char* what) const;
  void abandon_start();

  ConsumerOption option_;
  const std::string instance_name_;
  std::atomic<State> state_{State::Created};
  bool auto_commit_ = true;
  bool assign_mode_ = false;     // assign() was called
  bool subscribe_mode_ = false;  // subscribe() was called

  mutable std::mutex mutex_;
  std::condition_variable polled_cv_;  // a result was buffered, a queue resumed, or shutdown began
  std::condition_variable pollers_cv_;  // pollers_ reached 0
  int pollers_ = 0;                     // threads inside poll()
  std::mutex shutdown_mutex_;          // serialises start() and shutdown()
  std::map<std::string, protocol::SubscriptionData> subscriptions_;
  std::set<MessageQueue> assigned_;
  std::set<MessageQueue> paused_;  // kept for queues not read yet, too
  std::map<MessageQueue, std::shared_ptr<QueueState>> queues_;
  std::deque<PulledBatch> buffer_;
  std::set<std::string> classic_pull_brokers_;  // addresses that refused LITE_PULL_MESSAGE

  // Set by start() before any other thread sees this consumer, never reset afterwards.
  std::shared_ptr<client::MQClientInstance> instance_;
  std::unique_ptr<OffsetStore> offset_store_;
  std::unique_ptr<PullAPIWrapper> pull_api_;
  std::unique_ptr<RebalanceImpl> rebalance_;

  std::atomic<std::int64_t> pulls_{0};
  std::atomic<std::int64_t> pull_errors_{0};
  std::atomic<std::int64_t> polled_{0};
  std::atomic<std::int64_t> lite_requests_{0};
  std::atomic<std::int64_t> classic_requests_{0};
  std::atomic<std::int64_t> undecodable_{0};
  std::atomic<std::int64_t> background_errors_{0};
};

}  // namespace rocketmq::consumer

namespace rocketmq {

// Owns the engine, which the client instance, timers and in-flight pulls reference weakly (the
// same shape as PushConsumer::Impl).
class LitePullConsumer::Impl {
 public:
  explicit Impl(ConsumerOption option) : core(std::make_shared<consumer::LitePullConsumerImpl>(std::move(option))) {}
  std::shared_ptr<consumer::LitePullConsumerImpl> core;
};

}  // namespace rocketmq
