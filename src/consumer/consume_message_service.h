#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "consumer/consume_gate.h"
#include "consumer/process_queue.h"
#include "consumer/topic_stats.h"
#include "rocketmq/consume_result.h"
#include "rocketmq/message_ext.h"
#include "rocketmq/message_queue.h"

namespace rocketmq::consumer {

struct ConsumeStatsSnapshot {
  std::int64_t consumed_ok = 0;
  std::int64_t consumed_failed = 0;
  std::int64_t timed_out = 0;
  double average_rt_ms = 0;
};

// How a push consumer hands pulled messages to its listener: concurrently
// (ConsumeMessageConcurrentlyService) or one batch at a time per queue, in queue order
// (ConsumeMessageOrderlyService). The consumer holds one, chosen by the registered listener.
//
// Lifetime rules shared by both: a pool task co-owns the service (and so the listener and the
// pool) and holds the consumer only weakly, through its ConsumeHost, for the duration of its
// batches; after close() results are dropped and nothing is committed.
class ConsumeMessageService {
 public:
  virtual ~ConsumeMessageService() = default;

  // `messages` were just put into `process_queue` by the pull loop of `queue` (I/O thread). Taken
  // by value: the service keeps them, so their last reference drops on a consume thread.
  virtual void submit(std::vector<MessageExt> messages, const std::shared_ptr<ProcessQueue>& process_queue,
                      const MessageQueue& queue) = 0;
  // Periodic housekeeping on the scheduler thread (every 10 s): slow listener calls.
  virtual void periodic_check() = 0;
  // Called every 100 ms: lets work stuck behind a hung listener call go on (no-op by default).
  virtual void rescue_stalled_work() {}
  // Shutdown begins: no new listener call starts; calls in flight finish and apply their results.
  // Messages not delivered yet are delivered again after a restart (never committed).
  virtual void stop_dispatching() noexcept = 0;
  // From now on results are dropped and nothing more is submitted. Idempotent.
  virtual void close() noexcept = 0;
  virtual bool closed() const noexcept = 0;
  // One message on the caller's thread (CONSUME_MESSAGE_DIRECTLY from mqadmin, processor thread).
  virtual ConsumeResult consume_directly(const MessageExt& message) = 0;
  virtual ConsumeStatsSnapshot stats() const = 0;

  // The consumer's suspend/resume gate, set once before the first submit() (none: never paused).
  void set_gate(std::shared_ptr<ConsumeGate> gate) noexcept { gate_ = std::move(gate); }
  // The consumer's per-topic figures, set once before the first submit() (none: not recorded).
  void set_topic_stats(std::shared_ptr<TopicStats> stats) noexcept { topic_stats_ = std::move(stats); }

 protected:
  // Every listener call of a queue enters the gate first and leaves it after its result was
  // applied; a paused queue's work is parked as `retry` instead.
  bool gate_enter(const MessageQueue& queue, ConsumeGate::Parked retry) {
    return !gate_ || gate_->enter(queue, std::move(retry));
  }
  // enter() without parking (nothing built, nothing parked): false when the queue is paused.
  bool gate_try_enter(const MessageQueue& queue) { return !gate_ || gate_->try_enter(queue); }
  void gate_leave(const MessageQueue& queue) {
    if (gate_) gate_->leave(queue);
  }
  // One listener call on `messages` messages of `queue` returned `result` after `elapsed`.
  void record_call(const MessageQueue& queue, std::size_t messages, ConsumeResult result,
                   std::chrono::steady_clock::duration elapsed) {
    if (!topic_stats_) return;
    const bool ok = result == ConsumeResult::Success;
    topic_stats_->consumed(queue.topic, ok ? messages : 0, ok ? 0 : messages, elapsed);
  }
  // Several listener calls of `queue` at once (what a consume task gathered).
  void record_calls(const MessageQueue& queue, std::size_t ok, std::size_t failed, std::size_t calls,
                    std::chrono::steady_clock::duration elapsed) {
    if (!topic_stats_ || calls == 0) return;
    topic_stats_->consumed(queue.topic, ok, failed, elapsed, calls);
  }

 private:
  std::shared_ptr<ConsumeGate> gate_;
  std::shared_ptr<TopicStats> topic_stats_;
};

}  // namespace rocketmq::consumer
