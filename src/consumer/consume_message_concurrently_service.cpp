#include "consumer/consume_message_concurrently_service.h"

#include <algorithm>

#include "common/log.h"

namespace rocketmq::consumer {

namespace {
constexpr std::chrono::milliseconds kLocalRetryDelay{5000};
constexpr int kSlowBatchDelayLevel = 3;  // 10 s, the Java client's choice for expired messages
// A pull result's batches go to as many tasks as keep each busy for about this long, by the
// listener's recent call time: one task for a fast listener, one per batch for a slow one.
constexpr std::chrono::microseconds kWorkPerTask{500};
// A listener call running this long, with batches of its pull result left and every task of it
// inside a call, gets a helper task for the rest (rescue_stalled_work).
constexpr std::chrono::milliseconds kStalledCallLimit{100};
}  // namespace

ConsumeMessageConcurrentlyService::ConsumeMessageConcurrentlyService(
    std::weak_ptr<ConsumeHost> host, std::shared_ptr<MessageListenerConcurrently> listener,
    std::shared_ptr<common::ElasticThreadPool> pool, int batch_size, std::chrono::milliseconds consume_timeout,
    bool broadcasting)
    : host_(std::move(host)),
      listener_(std::move(listener)),
      pool_(std::move(pool)),
      batch_size_(static_cast<std::size_t>(batch_size < 1 ? 1 : batch_size)),
      consume_timeout_(consume_timeout),
      broadcasting_(broadcasting) {}

struct ConsumeMessageConcurrentlyService::Work {
  std::vector<MessageExt> messages;
  std::shared_ptr<ProcessQueue> process_queue;
  MessageQueue queue;
  std::size_t batch_size = 1;
  std::size_t batch_count = 0;
  std::unique_ptr<Slot[]> slots;
  Clock::time_point submitted;         // for batches no task has picked up yet
  std::atomic<std::size_t> next{0};    // the next batch no task has taken yet
  std::atomic<std::size_t> active{0};  // tasks, and batches parked in the gate, not finished yet
  std::atomic<std::size_t> runners{0};  // tasks inside drain(), for rescue_stalled_work()
  std::atomic<bool> helper_queued{false};  // a rescue helper waits for a thread: no second one
  // Its entry in running_ while registered; both under running_mutex_.
  std::list<std::weak_ptr<Work>>::iterator entry;
  bool registered = false;

  std::size_t begin(std::size_t index) const { return index * batch_size; }
  std::size_t end(std::size_t index) const { return std::min(messages.size(), (index + 1) * batch_size); }
  std::vector<MessageExt> batch(std::size_t index) const {
    return {messages.begin() + static_cast<std::ptrdiff_t>(begin(index)),
            messages.begin() + static_cast<std::ptrdiff_t>(end(index))};
  }
};

void ConsumeMessageConcurrentlyService::submit(std::vector<MessageExt> messages,
                                               const std::shared_ptr<ProcessQueue>& process_queue,
                                               const MessageQueue& queue) {
  if (messages.empty()) return;
  // A pull result becomes a few tasks that share its batches: each takes the next batch not taken
  // yet, until none is left (one listener call per batch, as configured). Handing every batch to a
  // thread of its own costs a wake-up and a context switch per message, which dominated the CPU
  // profile; a few tasks per pull still spread a backlog over every consume thread, since many
  // pulls are cached at once. Sharing (rather than splitting the batches between the tasks) means
  // that a listener call that hangs holds only its own batch: the other tasks go on with the rest.
  // The batches are index ranges of one copy of the pull result, not a vector (and a heap block)
  // each: per-message allocations here were a visible share of the I/O thread's profile.
  auto work = std::make_shared<Work>();
  // Moved in: the last reference then drops on a consume thread, not the I/O thread.
  work->messages = std::move(messages);
  work->process_queue = process_queue;
  work->queue = queue;
  work->batch_size = batch_size_;
  work->batch_count = (work->messages.size() + batch_size_ - 1) / batch_size_;
  work->slots = std::make_unique<Slot[]>(work->batch_count);
  work->submitted = Clock::now();
  const std::size_t task_count = tasks_for(work->batch_count);
  work->active.store(task_count);
  std::vector<std::function<void()>> tasks;
  tasks.reserve(task_count);
  for (std::size_t i = 0; i < task_count; ++i) {
    tasks.emplace_back([self = shared_from_this(), work] { self->drain(work); });
  }
  // One lock round for the whole pull result. Refused while shutting down: the messages stay
  // uncommitted and are delivered again after a restart.
  if (closed()) return;
  {
    std::lock_guard<std::mutex> lock(running_mutex_);
    work->entry = running_.insert(running_.end(), work);
    work->registered = true;
  }
  pool_->submit_all(std::move(tasks));
}

std::size_t ConsumeMessageConcurrentlyService::tasks_for(std::size_t batch_count) const {
  // Every task is a wake-up and a context switch at least, which for a listener that returns in
  // microseconds costs more than the calls: with one task per batch (or four per pull result)
  // they were the largest share of the consume threads' CPU. A slow listener's batches still
  // spread over the pool, and rescue_stalled_work() keeps a hung call from holding the rest.
  const auto work_nanos = static_cast<double>(average_call_nanos_.load(std::memory_order_relaxed)) *
                          static_cast<double>(batch_count);
  const auto wanted = static_cast<std::size_t>(work_nanos / static_cast<double>(
                                                               std::chrono::nanoseconds(kWorkPerTask).count()));
  return std::clamp<std::size_t>(wanted, 1, batch_count);
}

void ConsumeMessageConcurrentlyService::drain(const std::shared_ptr<Work>& work) {
  if (auto host = host_.lock()) {  // else the consumer is gone: these were never committed
    work->runners.fetch_add(1);
    std::vector<MessageExt> scratch;
    Tally tally;
    for (std::size_t index = work->next.fetch_add(1); index < work->batch_count; index = work->next.fetch_add(1)) {
      run(*host, work, index, scratch, tally);
    }
    work->runners.fetch_sub(1);
    record_calls(work->queue, tally.ok, tally.failed, tally.calls, tally.elapsed);
    if (tally.calls > 0) {
      // A moving average over tasks; a lost update between threads is harmless.
      const auto sample = std::chrono::duration_cast<std::chrono::nanoseconds>(tally.elapsed).count() /
                          static_cast<std::int64_t>(tally.calls);
      const auto average = average_call_nanos_.load(std::memory_order_relaxed);
      average_call_nanos_.store(average + (sample - average) / 8, std::memory_order_relaxed);
    }
  }
  leave_work(work);
}

void ConsumeMessageConcurrentlyService::rescue_stalled_work() {
  if (closed()) return;
  const auto now = Clock::now();
  std::vector<std::shared_ptr<Work>> stalled;
  {
    std::lock_guard<std::mutex> lock(running_mutex_);
    for (const auto& entry : running_) {
      auto work = entry.lock();
      // Not started yet (waiting for a thread), or nothing left to take: a helper would not help.
      if (!work || work->next.load() >= work->batch_count || work->helper_queued.load()) continue;
      const std::size_t runners = work->runners.load();
      if (runners == 0) continue;
      // Stuck: in a call, or in the settlement after it (a send-back to a slow broker), too long.
      std::size_t stuck = 0;
      for (std::size_t index = 0; index < work->batch_count && stuck < runners; ++index) {
        const Slot& slot = work->slots[index];
        const auto started = slot.started.load();
        if (started != 0 && !slot.done.load() &&
            now - Clock::time_point(Clock::duration(started)) > kStalledCallLimit) {
          ++stuck;
        }
      }
      if (stuck >= runners) stalled.push_back(std::move(work));
    }
  }
  for (auto& work : stalled) {
    work->active.fetch_add(1);
    work->helper_queued.store(true);
    if (!pool_->submit([self = shared_from_this(), work] {
          work->helper_queued.store(false);
          self->drain(work);
        })) {
      work->helper_queued.store(false);
      leave_work(work);
    }
  }
}

void ConsumeMessageConcurrentlyService::leave_work(const std::shared_ptr<Work>& work) {
  if (work->active.fetch_sub(1) != 1) return;
  std::lock_guard<std::mutex> lock(running_mutex_);
  if (work->registered) {
    running_.erase(work->entry);
    work->registered = false;
  }
}

ConsumeResult ConsumeMessageConcurrentlyService::call_listener(const std::vector<MessageExt>& messages,
                                                               Clock::time_point started,
                                                               Clock::time_point& finished) {
  ConsumeResult result = ConsumeResult::ReconsumeLater;
  try {
    result = listener_->consume_message(messages);
  } catch (const std::exception& error) {
    LOG_WARN("listener threw for " << messages.size() << " message(s), first " << messages.front().get_msg_id()
                                   << ": " << error.what() << "; they will be consumed again later");
  } catch (...) {
    LOG_WARN("listener threw a non-standard exception; the batch will be consumed again later");
  }
  finished = Clock::now();
  listener_calls_.fetch_add(1, std::memory_order_relaxed);
  listener_nanos_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(finished - started).count(),
                            std::memory_order_relaxed);
  return result;
}

void ConsumeMessageConcurrentlyService::run(ConsumeHost& host, const std::shared_ptr<Work>& work,
                                            std::size_t index, std::vector<MessageExt>& scratch,
                                            Tally& tally) {
  Slot& slot = work->slots[index];
  slot.taken.store(true);
  // Handed back by the timeout scan while it waited for a thread: the broker redelivers it.
  if (slot.settled.load()) return;
  // A queue given away while this batch waited: the new owner delivers these messages.
  if (work->process_queue->dropped() || closed()) return;
  if (!gate_try_enter(work->queue)) {
    // Suspended: the batch waits in the gate and is queued again by the resume. It counts as
    // active meanwhile so that its Work stays registered for the timeout scan.
    work->active.fetch_add(1);
    const bool entered = gate_enter(work->queue, [weak = weak_from_this(), work, index] {
      auto self = weak.lock();
      if (!self || self->closed()) return;
      self->pool_->submit([self, work, index] {
        if (auto host = self->host_.lock()) {
          std::vector<MessageExt> scratch;
          Tally tally;
          self->run(*host, work, index, scratch, tally);
          self->record_calls(work->queue, tally.ok, tally.failed, tally.calls, tally.elapsed);
        }
        self->leave_work(work);
      });
    });
    if (!entered) return;
    work->active.fetch_sub(1);  // resumed meanwhile: entered after all (this task still counts)
  }
  // One clock reading serves the timeout scan and the call's RT.
  const auto started = Clock::now();
  slot.started.store(started.time_since_epoch().count());
  scratch.assign(work->messages.begin() + static_cast<std::ptrdiff_t>(work->begin(index)),
                 work->messages.begin() + static_cast<std::ptrdiff_t>(work->end(index)));
  Clock::time_point finished;
  const ConsumeResult result = call_listener(scratch, started, finished);
  (result == ConsumeResult::Success ? tally.ok : tally.failed) += scratch.size();
  ++tally.calls;
  tally.elapsed += finished - started;
  // Else it was handed back as too slow meanwhile.
  if (!slot.settled.exchange(true)) settle(host, *work, scratch, result);
  slot.done.store(true);
  scratch.clear();
  gate_leave(work->queue);
}

void ConsumeMessageConcurrentlyService::settle(ConsumeHost& host, Work& work,
                                               const std::vector<MessageExt>& messages, ConsumeResult result) {
  auto& process_queue = work.process_queue;
  if (process_queue->dropped()) return;  // the new owner consumes them again: at least once
  if (closed()) {
    // Returned after the consumer's shutdown timeout: nothing was committed for these messages,
    // so they are delivered again.
    LOG_INFO("listener call on " << messages.size() << " message(s) of " << work.queue.to_string()
                                 << " returned after shutdown; its result is dropped");
    return;
  }
  std::vector<MessageExt> retry_here;
  if (result == ConsumeResult::Success) {
    consumed_ok_.fetch_add(static_cast<std::int64_t>(messages.size()), std::memory_order_relaxed);
  } else {
    consumed_failed_.fetch_add(static_cast<std::int64_t>(messages.size()), std::memory_order_relaxed);
    if (broadcasting_) {
      for (const auto& message : messages) {
        LOG_WARN("broadcasting consumer drops failed message " << message.get_msg_id() << " (no retry topic)");
      }
    } else {
      for (const auto& message : messages) {
        if (!host.send_message_back(message, 0)) retry_here.push_back(message);
      }
    }
  }
  std::int64_t offset = -1;
  if (retry_here.empty()) {
    offset = process_queue->remove(messages);  // the common case: no copy of the batch
  } else {
    std::vector<MessageExt> done;
    for (const auto& message : messages) {
      bool keep = false;
      for (const auto& failed : retry_here) keep |= failed.get_queue_offset() == message.get_queue_offset();
      if (!keep) done.push_back(message);
    }
    offset = process_queue->remove(done);
  }
  if (offset >= 0 && !process_queue->dropped()) host.commit_offset(work.queue, *process_queue, offset);
  if (!retry_here.empty()) retry_locally(host, std::move(retry_here), process_queue, work.queue);
}

void ConsumeMessageConcurrentlyService::retry_locally(ConsumeHost& host, std::vector<MessageExt> messages,
                                                      const std::shared_ptr<ProcessQueue>& process_queue,
                                                      const MessageQueue& queue) {
  LOG_WARN(messages.size() << " message(s) of " << queue.to_string()
                           << " could not be sent back to the broker; consuming them again here in 5 s");
  host.run_later(kLocalRetryDelay, [weak = weak_from_this(), messages = std::move(messages), process_queue, queue] {
    auto self = weak.lock();
    if (self && !self->closed()) self->submit(messages, process_queue, queue);
  });
}

void ConsumeMessageConcurrentlyService::expire_slow_batches() {
  auto host = host_.lock();
  if (!host || closed()) return;
  const auto now = Clock::now();
  std::vector<std::pair<std::shared_ptr<Work>, std::size_t>> expired;
  {
    std::lock_guard<std::mutex> lock(running_mutex_);
    for (auto it = running_.begin(); it != running_.end();) {
      auto work = it->lock();
      if (!work) {
        // Its tasks were dropped unrun (pool shut down, batch parked until close): nothing runs it.
        it = running_.erase(it);
        continue;
      }
      // A call that runs too long, and a batch that waited too long for a thread (every task of its
      // pull result stuck in calls of their own): both pin the queue's committed offset, so both are
      // handed back. A batch parked by suspend() was picked up and is not counted: it waits on purpose.
      const bool waited_too_long = now - work->submitted > consume_timeout_;
      for (std::size_t index = 0; index < work->batch_count; ++index) {
        Slot& slot = work->slots[index];
        const auto started = slot.started.load();
        const bool too_slow = started != 0 ? now - Clock::time_point(Clock::duration(started)) > consume_timeout_
                                           : waited_too_long && !slot.taken.load();
        if (too_slow && !slot.settled.exchange(true)) expired.emplace_back(work, index);
      }
      ++it;
    }
  }
  for (auto& [work, index] : expired) {
    const auto messages = work->batch(index);
    timed_out_.fetch_add(static_cast<std::int64_t>(messages.size()), std::memory_order_relaxed);
    const bool began = work->slots[index].started.load() != 0;
    LOG_WARN((began ? "listener call on " : "batch of ")
             << messages.size() << " message(s) of " << work->queue.to_string()
             << (began ? " exceeded the consume timeout" : " waited for a consume thread longer than the consume timeout")
             << "; handing them back for a retry");
    if (work->process_queue->dropped()) continue;
    std::vector<MessageExt> released;
    std::vector<MessageExt> refused;
    for (const auto& message : messages) {
      if (broadcasting_ || host->send_message_back(message, kSlowBatchDelayLevel)) {
        released.push_back(message);
      } else {
        refused.push_back(message);
      }
    }
    const std::int64_t offset = work->process_queue->remove(released);
    if (offset >= 0 && !work->process_queue->dropped()) {
      host->commit_offset(work->queue, *work->process_queue, offset);
    }
    if (!refused.empty()) retry_locally(*host, std::move(refused), work->process_queue, work->queue);
  }
}

ConsumeResult ConsumeMessageConcurrentlyService::consume_directly(const MessageExt& message) {
  Clock::time_point finished;
  return call_listener({message}, Clock::now(), finished);
}

ConsumeStatsSnapshot ConsumeMessageConcurrentlyService::stats() const {
  ConsumeStatsSnapshot snapshot;
  snapshot.consumed_ok = consumed_ok_.load();
  snapshot.consumed_failed = consumed_failed_.load();
  snapshot.timed_out = timed_out_.load();
  const auto calls = listener_calls_.load();
  snapshot.average_rt_ms = calls == 0 ? 0.0 : static_cast<double>(listener_nanos_.load()) / 1e6 / static_cast<double>(calls);
  return snapshot;
}

}  // namespace rocketmq::consumer
