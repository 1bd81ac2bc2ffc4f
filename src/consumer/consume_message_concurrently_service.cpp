#include "consumer/consume_message_concurrently_service.h"

#include "common/log.h"

namespace rocketmq::consumer {

namespace {
constexpr std::chrono::milliseconds kLocalRetryDelay{5000};
constexpr int kSlowBatchDelayLevel = 3;  // 10 s, the Java client's choice for expired messages
constexpr std::size_t kTasksPerPull = 4;
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

void ConsumeMessageConcurrentlyService::submit(const std::vector<MessageExt>& messages,
                                               const std::shared_ptr<ProcessQueue>& process_queue,
                                               const MessageQueue& queue) {
  std::vector<std::shared_ptr<Batch>> batches;
  batches.reserve((messages.size() + batch_size_ - 1) / batch_size_);
  for (std::size_t start = 0; start < messages.size(); start += batch_size_) {
    auto batch = std::make_shared<Batch>();
    const std::size_t end = std::min(messages.size(), start + batch_size_);
    batch->messages.assign(messages.begin() + static_cast<std::ptrdiff_t>(start),
                           messages.begin() + static_cast<std::ptrdiff_t>(end));
    batch->process_queue = process_queue;
    batch->queue = queue;
    batches.push_back(std::move(batch));
  }
  // A pull result becomes a few tasks that share its batches: each takes the next batch not taken
  // yet, until none is left (one listener call per batch, as configured). Handing every batch to a
  // thread of its own costs a wake-up and a context switch per message, which dominated the CPU
  // profile; a few tasks per pull still spread a backlog over every consume thread, since many
  // pulls are cached at once. Sharing (rather than splitting the batches between the tasks) means
  // that a listener call that hangs holds only its own batch: the other tasks go on with the rest.
  struct SharedBatches {
    std::vector<std::shared_ptr<Batch>> batches;
    std::atomic<std::size_t> next{0};
  };
  auto work = std::make_shared<SharedBatches>();
  work->batches = std::move(batches);
  const std::size_t task_count = std::min(work->batches.size(), kTasksPerPull);
  std::vector<std::function<void()>> tasks;
  for (std::size_t i = 0; i < task_count; ++i) {
    tasks.emplace_back([self = shared_from_this(), work] {
      auto host = self->host_.lock();
      if (!host) return;  // the consumer is gone: these messages were never committed
      for (std::size_t index = work->next.fetch_add(1); index < work->batches.size();
           index = work->next.fetch_add(1)) {
        self->run(*host, work->batches[index]);
      }
    });
  }
  // One lock round for the whole pull result. Refused while shutting down: the messages stay
  // uncommitted and are delivered again after a restart.
  if (closed()) return;
  pool_->submit_all(std::move(tasks));
}

ConsumeResult ConsumeMessageConcurrentlyService::call_listener(const std::vector<MessageExt>& messages) {
  const auto started = std::chrono::steady_clock::now();
  ConsumeResult result = ConsumeResult::ReconsumeLater;
  try {
    result = listener_->consume_message(messages);
  } catch (const std::exception& error) {
    LOG_WARN("listener threw for " << messages.size() << " message(s), first " << messages.front().get_msg_id()
                                   << ": " << error.what() << "; they will be consumed again later");
  } catch (...) {
    LOG_WARN("listener threw a non-standard exception; the batch will be consumed again later");
  }
  listener_calls_.fetch_add(1, std::memory_order_relaxed);
  listener_nanos_.fetch_add(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - started).count(),
      std::memory_order_relaxed);
  return result;
}

void ConsumeMessageConcurrentlyService::run(ConsumeHost& host, const std::shared_ptr<Batch>& batch) {
  // A queue given away while this batch waited: the new owner delivers these messages.
  if (batch->process_queue->dropped() || closed()) return;
  // Suspended: the batch waits in the gate and is queued again by the resume.
  const bool entered = gate_enter(batch->queue, [weak = weak_from_this(), batch] {
    auto self = weak.lock();
    if (!self || self->closed()) return;
    self->pool_->submit([self, batch] {
      if (auto host = self->host_.lock()) self->run(*host, batch);
    });
  });
  if (!entered) return;
  batch->started = std::chrono::steady_clock::now();
  std::list<std::weak_ptr<Batch>>::iterator entry;
  {
    std::lock_guard<std::mutex> lock(running_mutex_);
    entry = running_.insert(running_.end(), batch);
  }
  batch->process_queue->touch_consume();
  const ConsumeResult result = call_listener(batch->messages);
  record_call(batch->queue, batch->messages.size(), result, std::chrono::steady_clock::now() - batch->started);
  {
    std::lock_guard<std::mutex> lock(running_mutex_);
    running_.erase(entry);
  }
  if (!batch->settled.exchange(true)) settle(host, batch, result);  // else handed back as too slow meanwhile
  gate_leave(batch->queue);
}

void ConsumeMessageConcurrentlyService::settle(ConsumeHost& host, const std::shared_ptr<Batch>& batch,
                                               ConsumeResult result) {
  auto& process_queue = batch->process_queue;
  if (process_queue->dropped()) return;  // the new owner consumes them again: at least once
  if (closed()) {
    // Returned after the consumer's shutdown timeout: nothing was committed for these messages,
    // so they are delivered again.
    LOG_INFO("listener call on " << batch->messages.size() << " message(s) of " << batch->queue.to_string()
                                 << " returned after shutdown; its result is dropped");
    return;
  }
  std::vector<MessageExt> retry_here;
  if (result == ConsumeResult::Success) {
    consumed_ok_.fetch_add(static_cast<std::int64_t>(batch->messages.size()), std::memory_order_relaxed);
  } else {
    consumed_failed_.fetch_add(static_cast<std::int64_t>(batch->messages.size()), std::memory_order_relaxed);
    if (broadcasting_) {
      for (const auto& message : batch->messages) {
        LOG_WARN("broadcasting consumer drops failed message " << message.get_msg_id() << " (no retry topic)");
      }
    } else {
      for (const auto& message : batch->messages) {
        if (!host.send_message_back(message, 0)) retry_here.push_back(message);
      }
    }
  }
  std::vector<MessageExt> done;
  if (retry_here.empty()) {
    done = batch->messages;
  } else {
    for (const auto& message : batch->messages) {
      bool keep = false;
      for (const auto& failed : retry_here) keep |= failed.get_queue_offset() == message.get_queue_offset();
      if (!keep) done.push_back(message);
    }
  }
  const std::int64_t offset = process_queue->remove(done);
  if (offset >= 0 && !process_queue->dropped()) host.commit_offset(batch->queue, *process_queue, offset);
  if (!retry_here.empty()) retry_locally(host, std::move(retry_here), process_queue, batch->queue);
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
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::shared_ptr<Batch>> expired;
  {
    std::lock_guard<std::mutex> lock(running_mutex_);
    for (auto& weak : running_) {
      auto batch = weak.lock();
      if (batch && now - batch->started > consume_timeout_ && !batch->settled.exchange(true)) {
        expired.push_back(batch);
      }
    }
  }
  for (auto& batch : expired) {
    timed_out_.fetch_add(static_cast<std::int64_t>(batch->messages.size()), std::memory_order_relaxed);
    LOG_WARN("listener call on " << batch->messages.size() << " message(s) of " << batch->queue.to_string()
                                 << " exceeded the consume timeout; handing them back for a retry");
    if (batch->process_queue->dropped()) continue;
    std::vector<MessageExt> released;
    std::vector<MessageExt> refused;
    for (const auto& message : batch->messages) {
      if (broadcasting_ || host->send_message_back(message, kSlowBatchDelayLevel)) {
        released.push_back(message);
      } else {
        refused.push_back(message);
      }
    }
    const std::int64_t offset = batch->process_queue->remove(released);
    if (offset >= 0 && !batch->process_queue->dropped()) host->commit_offset(batch->queue, *batch->process_queue, offset);
    if (!refused.empty()) retry_locally(*host, std::move(refused), batch->process_queue, batch->queue);
  }
}

ConsumeResult ConsumeMessageConcurrentlyService::consume_directly(const MessageExt& message) {
  return call_listener({message});
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
