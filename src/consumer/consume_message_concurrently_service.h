#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <vector>

#include "common/elastic_thread_pool.h"
#include "consumer/consume_host.h"
#include "consumer/consume_message_service.h"
#include "consumer/process_queue.h"
#include "rocketmq/message_listener.h"

namespace rocketmq::consumer {

// Runs MessageListenerConcurrently on the elastic consume pool, batches of consume_batch_size.
// A pull result is one Work: pool tasks take its batches in turn (index ranges of the one copy),
// one task for a listener that returns in microseconds, more for a slower one (tasks_for), and
// a helper for a Work whose tasks are all stuck in calls (rescue_stalled_work); so the hand-off,
// the bookkeeping for the timeout scan and the per-topic figures cost per pull result, not per
// message; each batch's result is still applied (removed, committed, sent
// back) as soon as its listener call returns, so the commit rule below is unchanged.
//   Success         the batch leaves the process queue; the committed offset becomes the lowest
//                   offset still cached (so nothing in flight is ever skipped).
//   ReconsumeLater  (or a throw) each message is sent back to the broker for a delayed retry and
//                   then leaves the queue; one the broker refuses stays cached and is retried here
//                   after 5 s. Broadcasting has no retry topic: failures are logged and dropped,
//                   as in the Java client.
//   too slow        a batch running longer than consume_timeout is sent back and released, so one
//                   stuck call cannot pin the queue's offset forever; its late result is ignored.
//
// Lifetime: every pool task co-owns the service (and through it the listener and the pool), and
// holds the host for the duration of its batches if the host still exists; so a listener call that
// outlives its consumer's shutdown returns into live objects, and the listener is destroyed only
// after its last call returned. After close() results are dropped: nothing is committed or sent
// back, and the messages are delivered again (at least once).
//
// Threads: submit() from the pull completions (I/O threads) and the scheduler; batches and their
// listener calls on the pool's threads; expire_slow_batches() and rescue_stalled_work() on the
// scheduler.
class ConsumeMessageConcurrentlyService
    : public ConsumeMessageService,
      public std::enable_shared_from_this<ConsumeMessageConcurrentlyService> {
 public:
  ConsumeMessageConcurrentlyService(std::weak_ptr<ConsumeHost> host,
                                    std::shared_ptr<MessageListenerConcurrently> listener,
                                    std::shared_ptr<common::ElasticThreadPool> pool, int batch_size,
                                    std::chrono::milliseconds consume_timeout, bool broadcasting);

  // ConsumeMessageService
  void close() noexcept override { closed_.store(true); }
  bool closed() const noexcept override { return closed_.load(); }
  void submit(std::vector<MessageExt> messages, const std::shared_ptr<ProcessQueue>& process_queue,
              const MessageQueue& queue) override;
  void periodic_check() override { expire_slow_batches(); }
  // Batches already queued still run while the pool drains: they were handed out as a group.
  void stop_dispatching() noexcept override {}
  ConsumeResult consume_directly(const MessageExt& message) override;
  ConsumeStatsSnapshot stats() const override;

  // Hands back the batches that exceeded consume_timeout. Called periodically.
  void expire_slow_batches();
  // Gives a pull result whose every task is inside a listener call that has run for over 100 ms,
  // and which has batches left, one more task: one hung call never holds the batches behind it.
  // Called every 100 ms or so.
  void rescue_stalled_work() override;

 private:
  using Clock = std::chrono::steady_clock;
  // One pull result handed to the pool: its messages, cut into batches of batch_size_ that a few
  // tasks take in turn (next). One allocation per pull result, not per batch.
  struct Work;
  // The state of one batch of a Work, for the timeout scan.
  struct Slot {
    std::atomic<bool> taken{false};      // a task picked it up (it may wait in the gate after that)
    std::atomic<Clock::rep> started{0};  // when its listener call began; 0 before
    std::atomic<bool> settled{false};    // result applied, or handed back as too slow
    std::atomic<bool> done{false};       // its task is past it: call and settlement (send-backs) over
  };

  // What one task's listener calls add to the per-topic figures, reported once when the task ends
  // (a lock and a topic-map lookup per pull task instead of per listener call; the figures are
  // sampled per second, so they lag by at most one task).
  struct Tally {
    std::size_t ok = 0;
    std::size_t failed = 0;
    std::size_t calls = 0;
    Clock::duration elapsed{};
  };
  // The batch `index` of `work`, with `scratch` as the listener's vector (reused across the batches
  // of a task, so a batch costs no allocation).
  void run(ConsumeHost& host, const std::shared_ptr<Work>& work, std::size_t index,
           std::vector<MessageExt>& scratch, Tally& tally);
  void settle(ConsumeHost& host, Work& work, const std::vector<MessageExt>& messages, ConsumeResult result);
  void retry_locally(ConsumeHost& host, std::vector<MessageExt> messages,
                     const std::shared_ptr<ProcessQueue>& process_queue, const MessageQueue& queue);
  // Returns the listener's result; `finished` gets the time it returned.
  ConsumeResult call_listener(const std::vector<MessageExt>& messages, Clock::time_point started,
                              Clock::time_point& finished);
  // A task (or a parked batch) of `work` ends: the last one out unregisters it from running_.
  void leave_work(const std::shared_ptr<Work>& work);
  // A task's body: takes the next batch of `work` not taken yet, until none is left.
  void drain(const std::shared_ptr<Work>& work);
  // How many tasks a pull result of `batch_count` batches gets.
  std::size_t tasks_for(std::size_t batch_count) const;

  const std::weak_ptr<ConsumeHost> host_;
  const std::shared_ptr<MessageListenerConcurrently> listener_;
  const std::shared_ptr<common::ElasticThreadPool> pool_;
  std::atomic<bool> closed_{false};
  const std::size_t batch_size_;
  const std::chrono::milliseconds consume_timeout_;
  const bool broadcasting_;

  // The pull results whose tasks are still running (registered by submit, one lock per pull
  // result rather than two per listener call), scanned by expire_slow_batches().
  std::mutex running_mutex_;
  std::list<std::weak_ptr<Work>> running_;

  std::atomic<std::int64_t> consumed_ok_{0};
  std::atomic<std::int64_t> consumed_failed_{0};
  std::atomic<std::int64_t> timed_out_{0};
  std::atomic<std::int64_t> listener_calls_{0};
  std::atomic<std::int64_t> listener_nanos_{0};
  std::atomic<std::int64_t> average_call_nanos_{0};  // recent listener call time (tasks_for)
};

}  // namespace rocketmq::consumer
