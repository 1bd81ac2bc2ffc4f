#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "client/client_inner.h"
#include "client/mq_client_instance.h"
#include "common/elastic_thread_pool.h"
#include "producer/latency_fault_tolerance.h"
#include "producer/topic_publish_info.h"
#include "protocol/headers.h"
#include "rocketmq/message.h"
#include "rocketmq/producer.h"
#include "rocketmq/producer_option.h"
#include "rocketmq/send_result.h"

namespace rocketmq::producer {

// ---- rules, exposed for unit tests ------------------------------------------------------------

// Throws ClientError naming the rule: topic syntax/reserved/retry topics, empty body, body larger
// than max_message_size.
void validate_message(const Message& message, const ProducerOption& option);
// validate_message for each, plus: non-empty, one topic, no delay level or delivery time. The size
// of the encoded batch is checked when it is built.
void validate_batch(const std::vector<Message>& messages, const ProducerOption& option);
// SUCCESS and the success-like codes 10/11/12 → SendStatus (SendOk for anything else).
SendStatus send_status_from_code(int code) noexcept;
// The broker answers on which the Java producer tries another broker.
bool is_retryable_response_code(int code) noexcept;

// A message ready for the wire: body compressed if needed, properties encoded, UNIQ_KEY assigned.
struct PreparedMessage {
  std::string topic;
  std::string body;
  std::int32_t sys_flag = 0;
  std::int32_t flag = 0;
  std::string properties;  // encode_properties form
  std::string msg_id;      // UNIQ_KEY; comma-joined UNIQ_KEYs of the messages of a batch
  bool batch = false;
  bool timed = false;  // has a delivery time (TIMER_DELIVER_MS, TIMER_DELAY_MS or TIMER_DELAY_SEC)
};

// Adds UNIQ_KEY (unless present) and WAIT=true, compresses bodies at or over the threshold.
PreparedMessage prepare_message(const Message& message, const ProducerOption& option);
// The SEND_BATCH_MESSAGE form: each message with its own UNIQ_KEY and WAIT, the wrapper with WAIT
// only (see prepare_batch); never compressed. Throws ClientError when the encoded batch exceeds
// max_message_size.
PreparedMessage prepare_batch(const std::vector<Message>& messages, const ProducerOption& option);

// ---- the producer -----------------------------------------------------------------------------

// Threads: the caller's (validation, sync sends, and for async sends the queuing of the request
// when the route is cached); the shared instance's I/O threads (only hand async completions over);
// a small callback executor of 1..4 threads (async completions, retries, route look-ups of async
// sends, and the user callbacks).
class ProducerImpl : public client::ProducerInner, public std::enable_shared_from_this<ProducerImpl> {
 public:
  explicit ProducerImpl(ProducerOption option);
  // For unit tests: uses `instance` (e.g. over a fake MQClientAPI) instead of acquiring one.
  ProducerImpl(ProducerOption option, std::shared_ptr<client::MQClientInstance> instance);
  ~ProducerImpl() override;

  void start();
  void shutdown();

  SendResult send(const Message& message);
  SendResult send(const Message& message, const MessageQueue& queue);
  SendResult send(const Message& message, const MessageQueueSelector& selector, const std::string& arg);
  SendResult send(const std::vector<Message>& messages);
  void send_async(const Message& message, SendCallback callback);
  void send_oneway(const Message& message);

  // Async sends whose callback has not returned yet.
  int pending_async_sends() const;
  const LatencyFaultTolerance& fault_tolerance() const noexcept { return fault_; }

  // client::ProducerInner
  const std::string& group() const override { return option_.group_name(); }
  std::set<std::string> published_topics() const override;
  void on_topic_route(const std::string& topic, const protocol::TopicRouteData& route) override;
  void on_background_error(const BackgroundError& error) override;

 private:
  enum class State { Created, Running, ShuttingDown, Stopped };
  struct AsyncSend;

  void require_running() const;
  // The cached publish info of `topic`, or nullptr (never blocks).
  std::shared_ptr<const TopicPublishInfo> cached_publish_info(const std::string& topic) const;
  // Cached, else fetched from the name server (blocks): the topic's route, or TBW102's when the topic
  // does not exist yet. Throws when there is no usable route.
  std::shared_ptr<const TopicPublishInfo> publish_info(const std::string& topic);
  // Fetches the topic's own route (blocks) and replaces the cached publish info.
  void publish_info_refresh(const std::string& topic);
  std::string address_of(const MessageQueue& queue);
  // Throws ClientError when `prepared` has a delivery time and the master at `address` (of
  // `queue`'s broker) runs a release before 5.0, which has no timer store and would deliver it at
  // once. Asks the broker for its version first when no heartbeat answered yet.
  void require_timer_store(const PreparedMessage& prepared, const MessageQueue& queue, const std::string& address);
  protocol::SendMessageRequestHeaderV2 make_header(const PreparedMessage& prepared, const MessageQueue& queue) const;
  SendResult to_result(const PreparedMessage& prepared, const MessageQueue& queue,
                       const client::SendResponse& response) const;
  // Synchronous send with retries on other brokers.
  SendResult send_with_retries(const PreparedMessage& prepared);
  SendResult send_to_queue(const PreparedMessage& prepared, const MessageQueue& queue);
  // send_to_queue, asking again (up to retry_times) while the broker answers SYSTEM_BUSY.
  SendResult send_to_fixed_queue(const PreparedMessage& prepared, const MessageQueue& queue);

  // Async machinery.
  void acquire_async_slot();
  void release_async_slot();
  void start_async_attempt(const std::shared_ptr<AsyncSend>& send);
  void on_async_response(const std::shared_ptr<AsyncSend>& send, client::SendResponse&& response,
                         std::exception_ptr error);
  void finish_async(const std::shared_ptr<AsyncSend>& send, const SendResult* result, std::exception_ptr error);
  // Runs `task` on the callback executor; false when it is gone (shutdown).
  bool run_on_executor(std::function<void()> task);
  // The answers of asynchronous sends (and attempts that could not be queued) wait in answers_ for
  // the callback executor, which takes them in runs of up to kAnswerRun: one hand-over, and at most
  // one wake-up, per run instead of per answer. A drainer is started when none runs, and another
  // (up to kMaxCallbackThreads) whenever more than a run waits, so a slow callback holds up only
  // the run it is in while more than a run waits. Any thread; never blocks.
  struct AsyncAnswer {
    std::shared_ptr<AsyncSend> send;
    client::SendResponse response;
    std::exception_ptr error;
  };
  void hand_over_answer(std::shared_ptr<AsyncSend> send, client::SendResponse&& response, std::exception_ptr error);
  void drain_answers();  // on the callback executor
  // After the executor is gone (shutdown gave up waiting): the waiting answers' callbacks, here.
  void finish_answers_here();
  // Scheduler thread, every kProbeInterval: each broker isolated after a failed send is asked for a
  // max offset (asynchronously, one probe per broker at a time, kProbeTimeout); one that
  // answers is used again at once instead of when its isolation ends (Java 5.x's detector).
  void probe_failed_brokers();

  ProducerOption option_;
  std::atomic<State> state_{State::Created};
  std::mutex lifecycle_mutex_;
  std::shared_ptr<client::MQClientInstance> instance_;
  std::shared_ptr<client::MQClientInstance> injected_instance_;
  std::shared_ptr<common::ElasticThreadPool> executor_;
  LatencyFaultTolerance fault_;
  std::uint64_t probe_task_ = 0;  // scheduler task of probe_failed_brokers, 0 when none
  std::mutex answers_mutex_;
  std::deque<AsyncAnswer> answers_;  // guarded by answers_mutex_, as is answer_drainers_
  int answer_drainers_ = 0;
  std::mutex probing_mutex_;
  std::set<std::string> probing_;  // brokers with a probe in flight

  mutable std::mutex routes_mutex_;
  std::map<std::string, std::shared_ptr<const TopicPublishInfo>> publish_infos_;

  mutable std::mutex pending_mutex_;
  std::condition_variable pending_changed_;
  int pending_async_ = 0;
  int async_slot_waiters_ = 0;  // senders blocked in acquire_async_slot (under pending_mutex_)
};

}  // namespace rocketmq::producer

namespace rocketmq {

// The facade's private part: owns the shared core, which the client instance and in-flight
// callbacks reference weakly.
class Producer::Impl {
 public:
  explicit Impl(ProducerOption option) : core(std::make_shared<producer::ProducerImpl>(std::move(option))) {}
  std::shared_ptr<producer::ProducerImpl> core;
};

}  // namespace rocketmq
