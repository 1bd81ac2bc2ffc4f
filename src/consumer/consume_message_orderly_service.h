#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/elastic_thread_pool.h"
#include "consumer/consume_host.h"
#include "consumer/consume_message_service.h"
#include "consumer/process_queue.h"
#include "rocketmq/message_listener.h"

namespace rocketmq::consumer {

// Runs MessageListenerOrderly: the messages of one queue reach the listener one batch (up to
// consume_batch_size) at a time and in queue order, whichever consume thread runs them.
//
// How it works. Each owned queue has at most one dispatching task (ProcessQueue::begin_dispatch):
// submit() starts one only when none is active; the task takes the lowest cached offsets
// (ProcessQueue::take), calls the listener and settles the batch, then takes the next one, until
// the cache is empty (end_dispatch_if_idle, atomic with the pull loop's put). After a time slice
// the task re-queues itself at the back of the pool, so a busy queue cannot starve the others. The
// listener call and its commit run under the queue's consume lock, which is what the consumer waits
// for before it gives a queue away (the broker lock is released only after the call in flight
// returned and its offset was committed).
//   Success         the batch leaves the queue; the committed offset becomes the next one after it.
//   ReconsumeLater  (or a throw) the batch goes back to the front with its reconsume count raised,
//                   and the queue pauses for suspend_time: the same batch comes again before
//                   anything after it. A message that fails with max_reconsume_times reconsumes
//                   behind it is sent back with delay level -1, which the broker stores directly in
//                   %DLQ%<group>, and the queue moves past it; if that send fails the message stays
//                   first and is delivered again after suspend_time. Broadcasting has no dead-letter
//                   queue per client: such a message is logged and skipped.
//   lock lost       clustering consumes a queue only while this client holds its broker lock,
//                   renewed within `lock_max_age`; a task that finds it stale tries to lock the queue
//                   itself (under the consume lock, so a release cannot miss it) and pauses,
//                   retrying every lock_retry_delay, until it has it again.
// Offsets are committed after each settled batch, also when the queue was given away meanwhile:
// the hand-over waits for that commit before it unlocks the queue.
//
// Lifetime (as ConsumeMessageConcurrentlyService): a pool task co-owns the service, the listener
// and the pool and holds the host only while it runs; delayed re-dispatches hold the service
// weakly. After stop_dispatching() no new listener call starts; after close() a result is dropped
// (its batch is neither committed nor dead-lettered) and the messages are delivered again.
//
// Threads: submit() on I/O threads (pull completions); dispatching tasks and their listener calls
// on the pool's threads; delayed re-dispatches on the host's scheduler thread (they only queue a
// task); consume_directly() on the caller's thread.
class ConsumeMessageOrderlyService : public ConsumeMessageService,
                                     public std::enable_shared_from_this<ConsumeMessageOrderlyService> {
 public:
  struct Options {
    int batch_size = 1;
    std::chrono::milliseconds suspend_time{1000};
    int max_reconsume_times = 16;
    bool broadcasting = false;
    std::chrono::milliseconds lock_max_age{30000};
    std::chrono::milliseconds lock_retry_delay{1000};
    std::chrono::milliseconds time_slice{1000};
    // A listener call running longer is logged and counted (ConsumeStatsSnapshot::timed_out); it
    // is never abandoned: its queue waits for it, which is what keeps the order.
    std::chrono::milliseconds consume_timeout{15 * 60 * 1000};
  };

  ConsumeMessageOrderlyService(std::weak_ptr<ConsumeHost> host, std::shared_ptr<MessageListenerOrderly> listener,
                               std::shared_ptr<common::ElasticThreadPool> pool, Options options);

  // ConsumeMessageService
  void submit(std::vector<MessageExt> messages, const std::shared_ptr<ProcessQueue>& process_queue,
              const MessageQueue& queue) override;
  // Orderly calls are never abandoned (the Java client's rule): a slow call holds its queue. Calls
  // over consume_timeout are logged and counted when they return; nothing else to check here.
  void periodic_check() override {}
  void stop_dispatching() noexcept override { stopping_.store(true); }
  void close() noexcept override {
    stopping_.store(true);
    closed_.store(true);
  }
  bool closed() const noexcept override { return closed_.load(); }
  ConsumeResult consume_directly(const MessageExt& message) override;
  ConsumeStatsSnapshot stats() const override;

  std::int64_t dead_lettered() const noexcept { return dead_lettered_.load(); }
  // Times a dispatching task found its queue's broker lock stale and could not take it again.
  std::int64_t lock_pauses() const noexcept { return lock_pauses_.load(); }

 private:
  // Queues a dispatching task for the queue (the caller holds its dispatch flag).
  void enqueue(const std::shared_ptr<ProcessQueue>& process_queue, const MessageQueue& queue);
  void enqueue_later(ConsumeHost& host, const std::shared_ptr<ProcessQueue>& process_queue, const MessageQueue& queue,
                     std::chrono::milliseconds delay);
  void run(const std::shared_ptr<ProcessQueue>& process_queue, const MessageQueue& queue);
  // Applies a listener result under the consume lock; true when the queue must pause.
  bool settle(ConsumeHost& host, const std::vector<MessageExt>& batch, ConsumeResult result,
              ProcessQueue& process_queue, const MessageQueue& queue);
  ConsumeResult call_listener(const std::vector<MessageExt>& messages, const MessageQueue* queue = nullptr);

  const std::weak_ptr<ConsumeHost> host_;
  const std::shared_ptr<MessageListenerOrderly> listener_;
  const std::shared_ptr<common::ElasticThreadPool> pool_;
  const Options options_;
  const std::size_t batch_size_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> closed_{false};

  std::atomic<std::int64_t> consumed_ok_{0};
  std::atomic<std::int64_t> consumed_failed_{0};
  std::atomic<std::int64_t> dead_lettered_{0};
  std::atomic<std::int64_t> lock_pauses_{0};
  std::atomic<std::int64_t> timed_out_{0};
  std::atomic<std::int64_t> listener_calls_{0};
  std::atomic<std::int64_t> listener_nanos_{0};
};

}  // namespace rocketmq::consumer
