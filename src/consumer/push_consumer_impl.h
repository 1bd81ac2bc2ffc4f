#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "client/client_inner.h"
#include "client/mq_client_instance.h"
#include "common/elastic_thread_pool.h"
#include "consumer/broker_queue_locker.h"
#include "consumer/consume_gate.h"
#include "consumer/consume_host.h"
#include "consumer/consume_message_service.h"
#include "consumer/offset_store.h"
#include "consumer/pull_api_wrapper.h"
#include "consumer/rebalance_impl.h"
#include "consumer/topic_stats.h"
#include "rocketmq/push_consumer.h"

namespace rocketmq::consumer {

// The push consumer: wires the shared MQClientInstance, RebalanceImpl, the pull loops (one per
// owned queue, driven by async PULL_MESSAGE completions on the I/O thread), the consume service and
// the offset store. See PushConsumer for the contract.
class PushConsumerImpl : public client::ConsumerInner,
                         public RebalanceHost,
                         public ConsumeHost,
                         public std::enable_shared_from_this<PushConsumerImpl> {
 public:
  explicit PushConsumerImpl(ConsumerOption option);
  ~PushConsumerImpl() override;

  void subscribe(const std::string& topic, const std::string& expression, ExpressionType type);
  void unsubscribe(const std::string& topic);
  void set_listener(std::unique_ptr<MessageListenerConcurrently> listener);
  void set_listener(std::unique_ptr<MessageListenerOrderly> listener);
  void start();
  void shutdown();
  void suspend();
  void resume();
  void suspend(const std::string& topic);
  void resume(const std::string& topic);
  void suspend(const std::vector<MessageQueue>& queues);
  void resume(const std::vector<MessageQueue>& queues);
  bool suspended() const { return gate_->all_suspended(); }
  std::vector<MessageQueue> suspended_queues() const;
  void seek_by_timestamp(const std::string& topic, std::int64_t epoch_millis);
  void seek_to_offset(const std::string& topic, int queue_id, std::int64_t offset);
  void seek_to_offset(const MessageQueue& queue, std::int64_t offset);
  void seek_to_begin(const std::string& topic);
  void seek_to_end(const std::string& topic);
  std::int64_t committed_offset(const MessageQueue& queue) const;
  ConsumerLag lag() const;
  ConsumerStats stats() const;
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

  // consumer::RebalanceHost
  std::vector<std::string> find_consumer_ids(const std::string& topic) override;
  std::int64_t compute_pull_offset(const MessageQueue& queue) override;
  void start_pull(const MessageQueue& queue, const std::shared_ptr<consumer::ProcessQueue>& process_queue,
                  std::int64_t offset) override;
  bool on_queue_dropped(const MessageQueue& queue,
                        const std::shared_ptr<consumer::ProcessQueue>& process_queue) override;

  // consumer::ConsumeHost
  bool send_message_back(const MessageExt& message, int delay_level) override;
  void commit_offset(const MessageQueue& queue, const consumer::ProcessQueue& process_queue,
                     std::int64_t offset) override;
  void run_later(std::chrono::milliseconds delay, std::function<void()> task) override;

  // consumer::RebalanceHost and consumer::ConsumeHost: the broker lock of an orderly clustering
  // consumer (always true otherwise). Rebalancing (scheduler) and consume threads.
  bool lock_queue(const MessageQueue& queue, consumer::ProcessQueue& process_queue) override;

 private:
  enum class State { Created, Running, ShuttingDown, Stopped };

  struct PullRequest {
    MessageQueue queue;
    std::shared_ptr<consumer::ProcessQueue> process_queue;
    std::int64_t next_offset = 0;
    std::chrono::steady_clock::time_point sent_at{};  // of the pull in flight
    // When the last answer arrived, until the next pull is sent (for pull_turnaround_us); reset by
    // a flow-control pause, which is counted on its own.
    std::chrono::steady_clock::time_point answered_at{};
  };

  void pull(std::shared_ptr<PullRequest> request);
  // pull() or on_pulled() under a guard: an exception (std::bad_alloc, a decoder bug) is logged and
  // counted, and the queue's loop goes on after a back-off instead of ending silently.
  void guarded_pull(const std::shared_ptr<PullRequest>& request);
  void guarded_on_pulled(const std::shared_ptr<PullRequest>& request, client::PullResult&& result,
                         std::exception_ptr error);
  void pull_loop_failed(const std::shared_ptr<PullRequest>& request, const char* where, const std::string& what);
  void pull_later(std::shared_ptr<PullRequest> request, std::chrono::milliseconds delay);
  // Runs every 10 s on the scheduler: slow listener calls, and pull loops silent for too long.
  void check_consumption();
  // Every kSilentProbePeriod on an I/O thread (a timer chain schedule_silent_probe starts and
  // shutdown ends): asks each broker that holds a pull on a connection that has received nothing
  // for kSilentProbeAfter whether it is alive (see the .cpp). Never blocks.
  void schedule_silent_probe();
  void probe_silent_brokers();
  // Whether the failed pull of `address` may have been failed by a probe of ours that closed its
  // silent connection (then it is sent again soon, on a new connection).
  bool closed_by_probe(const std::string& address, std::chrono::steady_clock::time_point now);
  // Orderly clustering, every 20 s on the scheduler: renews the broker locks of every owned queue.
  void renew_locks();
  // Orderly clustering: a rebalance whose lock was refused (the previous owner still releasing)
  // runs again shortly on the scheduler instead of a whole rebalance interval later.
  void rebalance_again_soon();
  bool orderly_clustering() const noexcept { return locker_ != nullptr; }
  void on_pulled(const std::shared_ptr<PullRequest>& request, client::PullResult&& result, std::exception_ptr error);
  // The loop's next step after an answer: the next pull now, or after pull_interval.
  void continue_pulling(const std::shared_ptr<PullRequest>& request);
  // On the scheduler: gives `queue` up (if `process_queue` is still its) and takes it again from
  // the committed offset.
  void retake_queue_later(const MessageQueue& queue, const std::shared_ptr<consumer::ProcessQueue>& process_queue);
  // Moves `offsets` (queues of `topic`): their process queues stop and can commit no more, the new
  // offsets are committed, the queues are dropped and taken again from there.
  void apply_offsets(const std::string& topic, const std::map<MessageQueue, std::int64_t>& offsets,
                     const std::function<void()>& before_retake = {});
  // The subscribed topic's queues per the route; throws ClientError naming `what` when there are none.
  std::vector<MessageQueue> seekable_queues(const char* what, const std::string& topic) const;
  // GET_MAX_OFFSET for owned queues whose pulls have not reported one recently (suspended,
  // flow-controlled, stalled), on the scheduler; a broker that fails is skipped for this round.
  void refresh_max_offsets(bool all);
  std::vector<MessageQueue> owned_queues() const;
  // Records of a pull answer this client cannot decode: logged with queue and offset, counted, and
  // (clustering) sent to %DLQ%<group> by commit-log offset; the loop goes on past them.
  void skip_undecodable(const MessageQueue& queue, std::vector<protocol::RejectedRecord> rejected);
  // After a seek applied here: the brokers move the other members of the group too (by time, one
  // request per broker, when `epoch_millis` is given; else one request per queue with its offset).
  // Remembers `applied`, so that the broker's echo of it to this client is skipped.
  void reset_group(const std::string& topic, const std::map<MessageQueue, std::int64_t>& applied,
                   std::optional<std::int64_t> epoch_millis);
  // One request of reset_group to one broker, and what its retries need.
  struct GroupReset {
    std::string broker;
    protocol::ResetOffsetRequestHeader header;
    std::map<MessageQueue, std::int64_t> recommit;  // the seeks' offsets there (by offset only)
    std::uint64_t generation = 0;                   // of the topic's seeks (TopicSeeks)
    int attempts_left = 0;
  };
  // Sends it; a 4.x broker's refusal for a queue without a committed offset is asked again on the
  // scheduler (attempts_left more times, every kResetRetryDelay) unless a later seek of the topic
  // came meanwhile (that seek's requests carry this one's offsets on: TopicSeeks::unsent). True
  // when a retry is scheduled.
  bool reset_group_at(const GroupReset& reset);
  // The retry of `reset` after kResetRetryDelay, on the scheduler: the offsets the broker will
  // tell the members are committed again first.
  void schedule_group_reset_retry(const GroupReset& reset);
  void retry_group_reset(GroupReset reset);
  // Drops `broker`'s unsent offsets of `reset`'s topic, unless a later seek took them over.
  void group_reset_done(const GroupReset& reset);
  // `ask(address, queue)` for every queue at its broker's current address; throws ClientError naming
  // `what` for a broker without one.
  std::map<MessageQueue, std::int64_t> offsets_from_brokers(
      const char* what, const std::vector<MessageQueue>& queues,
      const std::function<std::int64_t(const std::string& address, const MessageQueue& queue)>& ask) const;
  std::optional<std::string> broker_address(const std::string& broker_name) const;
  // The warning of a suspend whose listener calls in flight outlived shutdown_timeout.
  void warn_if_still_running(bool drained, const std::string& scope) const;
  void require_running(const char* what) const;
  // start() with credentials: one heartbeat to every master; a subscription the user may not read is
  // dropped and reported (AuthError, "subscribe"), while the others are allowed. Throws AuthError for
  // refused keys, a refused group, or when no subscription is left.
  void check_access_dropping_denied_topics();
  // Scheduler thread, every heartbeat interval while a subscription is dropped as denied: asks the
  // brokers again with it added; once they accept, it is subscribed again (permissions granted
  // after start() take effect without a restart).
  void recheck_denied_subscriptions();
  // Scheduler thread, after the first heartbeat (clustering): fetches the route of %RETRY%<group>
  // again while it lists fewer brokers than the subscribed topics, up to `attempts_left` times.
  void complete_retry_route(int attempts_left);
  // Undoes a start() that failed before the consumer was registered.
  void abandon_start();
  // The part of shutdown() that talks to the brokers: commit every owned queue, unregister.
  void finish_shutdown();
  // After a refused send-back: the message sent to %RETRY%<group> as a normal message (Java's rule).
  bool send_to_retry_topic(const MessageExt& message, int delay_level);
  // Commits `queues` synchronously, one thread per broker, each broker's queues in turn.
  void persist_in_parallel(const std::set<MessageQueue>& queues);
  std::string retry_topic() const { return "%RETRY%" + option_.group_name(); }

  ConsumerOption option_;
  // DEFAULT resolved once (see ClientConfig::resolve_instance_name), so client_id() is the same
  // before and after start().
  const std::string instance_name_;
  std::atomic<State> state_{State::Created};
  // suspend()/resume(): shared with the consume service, which parks paused queues' batches in it.
  const std::shared_ptr<consumer::ConsumeGate> gate_ = std::make_shared<consumer::ConsumeGate>();
  // Serialises commits with seeks: a commit either lands before a seek marks its process queue reset
  // (and is overwritten by the seek) or sees the mark and is dropped.
  std::mutex commit_mutex_;
  // Pull and consume rates per topic (stats().topics, running info), sampled every 10 s.
  const std::shared_ptr<consumer::TopicStats> topic_stats_ = std::make_shared<consumer::TopicStats>();
  std::mutex seek_mutex_;  // guards recent_seeks_ and topic_seeks_
  // Per topic: seeks applied so far (apply_offsets), and the offsets of seeks whose group reset a
  // 4.x broker refused and that are retried (reset_group_at).
  struct TopicSeeks {
    std::uint64_t generation = 0;
    std::map<MessageQueue, std::int64_t> unsent;
  };
  std::map<std::string, TopicSeeks> topic_seeks_;
  // Held while a seek commits its offsets, and while a retry checks its generation and commits
  // them again: an old retry never commits over a newer seek.
  std::mutex seek_commit_mutex_;
  std::mutex seek_call_mutex_;  // this client's seeks one at a time (apply_offsets); user threads only
  std::map<MessageQueue, std::pair<std::int64_t, std::chrono::steady_clock::time_point>> recent_seeks_;
  mutable std::mutex mutex_;  // guards pending_subscriptions_, denied_subscriptions_, lifecycle transitions
  std::mutex shutdown_mutex_;  // a second shutdown() waits until the first one is done
  std::map<std::string, protocol::SubscriptionData> pending_subscriptions_;
  // Subscriptions start() dropped because the brokers refused them (guarded by mutex_).
  std::map<std::string, protocol::SubscriptionData> denied_subscriptions_;
  // Shared with the consume service and its tasks: destroyed after the last listener call returned.
  std::shared_ptr<MessageListenerConcurrently> concurrent_listener_;
  std::shared_ptr<MessageListenerOrderly> orderly_listener_;

  // Set by start() before any other thread can see this consumer and never reset afterwards, so
  // I/O, scheduler, processor and consume threads may read them without a lock, even during and
  // after shutdown (the instance then refuses requests with ClientError).
  std::shared_ptr<client::MQClientInstance> instance_;
  std::unique_ptr<consumer::OffsetStore> offset_store_;
  std::unique_ptr<consumer::PullAPIWrapper> pull_api_;
  std::unique_ptr<consumer::RebalanceImpl> rebalance_;
  std::shared_ptr<common::ElasticThreadPool> pool_;
  // Concurrently or orderly, per the registered listener.
  std::shared_ptr<consumer::ConsumeMessageService> consume_service_;
  // Orderly clustering only (null otherwise): the brokers' queue locks.
  std::unique_ptr<consumer::BrokerQueueLocker> locker_;
  common::Scheduler::TaskId expire_task_ = 0;
  common::Scheduler::TaskId rescue_task_ = 0;
  common::Scheduler::TaskId lock_task_ = 0;
  common::Scheduler::TaskId denied_task_ = 0;
  std::atomic<bool> rebalance_retry_pending_{false};
  std::int64_t start_timestamp_ = 0;


  std::atomic<std::int64_t> pulls_{0};
  std::atomic<std::int64_t> pull_errors_{0};
  std::atomic<std::int64_t> pull_loop_failures_{0};  // exceptions caught in the pull loop
  std::atomic<std::int64_t> pull_loop_restarts_{0};  // silent loops restarted by the watchdog
  std::atomic<std::int64_t> silent_probes_{0};
  std::atomic<std::int64_t> silent_probes_unanswered_{0};

  // Pulls sent and not answered yet (for probe_silent_brokers; keyed by the loop's request, alive
  // while its pull is), and the brokers probed: the start of the last unanswered probe of each
  // address, and the addresses whose probe is in flight.
  struct PullInFlight {
    MessageQueue queue;
    std::string address;
    std::chrono::steady_clock::time_point sent_at;
  };
  std::mutex in_flight_mutex_;
  std::map<const PullRequest*, PullInFlight> pulls_in_flight_;
  std::map<std::string, std::chrono::steady_clock::time_point> probed_at_;
  std::set<std::string> probing_;
  std::atomic<std::int64_t> flow_control_pauses_{0};
  std::atomic<std::int64_t> turnaround_nanos_{0};  // sum over turnarounds_ (pull_turnaround_us)
  std::atomic<std::int64_t> turnarounds_{0};
  std::atomic<std::int64_t> undecodable_{0};
  std::atomic<std::int64_t> fallback_sends_{0};  // round robin over the retry topic's queues
  std::atomic<std::int64_t> undecodable_dead_lettered_{0};
  std::atomic<std::int64_t> background_errors_{0};
};

}  // namespace rocketmq::consumer

namespace rocketmq {

// The facade's private part: owns the engine, which the client instance, timers and in-flight
// callbacks reference weakly (the same shape as Producer::Impl).
class PushConsumer::Impl {
 public:
  explicit Impl(ConsumerOption option) : core(std::make_shared<consumer::PushConsumerImpl>(std::move(option))) {}
  std::shared_ptr<consumer::PushConsumerImpl> core;
};

}  // namespace rocketmq
