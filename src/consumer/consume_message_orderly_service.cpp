#include "consumer/consume_message_orderly_service.h"

#include <mutex>

#include "common/log.h"
#include "consumer/message_ext_data.h"

namespace rocketmq::consumer {

namespace {

// CONSUMER_SEND_MSG_BACK with a negative delay level: the broker stores the message in
// %DLQ%<group> whatever its reconsume count (an orderly message is never sent to the retry topic,
// where it would be delivered out of order).
constexpr int kDeadLetterDelayLevel = -1;

// A copy of `message` whose reconsume count is `times` (MessageExtData is shared and immutable).
MessageExt with_reconsume_times(const MessageExt& message, std::int32_t times) {
  auto data = std::make_shared<detail::MessageExtData>(detail::MessageExtAccess::data(message));
  data->stored.reconsume_times = times;
  return detail::MessageExtAccess::make(std::move(data));
}

}  // namespace

ConsumeMessageOrderlyService::ConsumeMessageOrderlyService(std::weak_ptr<ConsumeHost> host,
                                                           std::shared_ptr<MessageListenerOrderly> listener,
                                                           std::shared_ptr<common::ElasticThreadPool> pool,
                                                           Options options)
    : host_(std::move(host)),
      listener_(std::move(listener)),
      pool_(std::move(pool)),
      options_(options),
      batch_size_(static_cast<std::size_t>(options.batch_size < 1 ? 1 : options.batch_size)) {}

void ConsumeMessageOrderlyService::submit(std::vector<MessageExt> messages,
                                          const std::shared_ptr<ProcessQueue>& process_queue,
                                          const MessageQueue& queue) {
  if (messages.empty() || stopping_.load()) return;
  // The queue's active task (running, paused or queued) will take these messages too.
  if (!process_queue->begin_dispatch()) return;
  enqueue(process_queue, queue);
}

void ConsumeMessageOrderlyService::enqueue(const std::shared_ptr<ProcessQueue>& process_queue,
                                           const MessageQueue& queue) {
  // Refused once the pool shuts down: the messages stay uncommitted and come again after a restart.
  pool_->submit([self = shared_from_this(), process_queue, queue] { self->run(process_queue, queue); });
}

void ConsumeMessageOrderlyService::enqueue_later(ConsumeHost& host, const std::shared_ptr<ProcessQueue>& process_queue,
                                                 const MessageQueue& queue, std::chrono::milliseconds delay) {
  // Weak: a pause must not keep a stopped consumer's service alive until its timer fires.
  host.run_later(delay, [weak = weak_from_this(), process_queue, queue] {
    auto self = weak.lock();
    if (self && !self->stopping_.load() && !process_queue->dropped()) self->enqueue(process_queue, queue);
  });
}

void ConsumeMessageOrderlyService::run(const std::shared_ptr<ProcessQueue>& process_queue, const MessageQueue& queue) {
  auto host = host_.lock();
  if (!host) return;  // the consumer is gone: nothing was committed for these messages
  const auto slice_end = std::chrono::steady_clock::now() + options_.time_slice;
  process_queue->set_consume_paused(false);
  // Returning without end_dispatch_if_idle keeps the dispatch flag: on a pause the delayed task
  // owns it, and a dropped or stopped queue is never dispatched again anyway.
  for (;;) {
    if (stopping_.load() || process_queue->dropped()) return;
    if (std::chrono::steady_clock::now() >= slice_end) {
      enqueue(process_queue, queue);  // behind the other queues' tasks
      return;
    }
    std::unique_lock<ConsumeLock> consuming(process_queue->consume_lock());
    // Given away while waiting for the lock: the release ran first, the next owner consumes.
    if (stopping_.load() || process_queue->dropped()) return;
    // Re-locking under the consume lock: a release (which takes the consume lock before it unlocks
    // the queue at the broker) either comes after and unlocks this lock too, or came before and the
    // queue is seen dropped above; a lock taken here can never outlive the queue's ownership.
    if (!options_.broadcasting && !process_queue->lock_valid(options_.lock_max_age)) {
      if (!host->lock_queue(queue, *process_queue)) {
        consuming.unlock();
        lock_pauses_.fetch_add(1, std::memory_order_relaxed);
        LOG_DEBUG("orderly consumption of " << queue.to_string() << " waits for its broker lock");
        process_queue->set_consume_paused(true);
        enqueue_later(*host, process_queue, queue, options_.lock_retry_delay);
        return;
      }
    }
    // Suspended: the parked task keeps the dispatch flag and is queued again by the resume.
    const bool entered = gate_enter(queue, [weak = weak_from_this(), process_queue, queue] {
      auto self = weak.lock();
      if (self && !self->stopping_.load() && !process_queue->dropped()) self->enqueue(process_queue, queue);
    });
    if (!entered) return;
    auto batch = process_queue->take(batch_size_);
    if (batch.empty()) {
      gate_leave(queue);
      consuming.unlock();
      if (process_queue->end_dispatch_if_idle()) return;
      continue;  // messages arrived between take and the check
    }
    const auto call_started = std::chrono::steady_clock::now();
    const ConsumeResult result = call_listener(batch, &queue);
    record_call(queue, batch.size(), result, std::chrono::steady_clock::now() - call_started);
    if (closed()) {
      // Returned after the consumer's shutdown timeout: not committed, delivered again.
      process_queue->settle_taken({}, {});
      gate_leave(queue);
      LOG_INFO("orderly listener call on " << batch.size() << " message(s) of " << queue.to_string()
                                           << " returned after shutdown; its result is dropped");
      return;
    }
    const bool pause = settle(*host, batch, result, *process_queue, queue);
    gate_leave(queue);
    consuming.unlock();
    if (pause) {
      process_queue->set_consume_paused(true);
      enqueue_later(*host, process_queue, queue, options_.suspend_time);
      return;
    }
  }
}

bool ConsumeMessageOrderlyService::settle(ConsumeHost& host, const std::vector<MessageExt>& batch,
                                          ConsumeResult result, ProcessQueue& process_queue,
                                          const MessageQueue& queue) {
  const auto count = static_cast<std::int64_t>(batch.size());
  if (result == ConsumeResult::Success) {
    consumed_ok_.fetch_add(count, std::memory_order_relaxed);
    const auto offset = process_queue.settle_taken(batch, {});
    if (offset >= 0) host.commit_offset(queue, process_queue, offset);
    return false;
  }
  consumed_failed_.fetch_add(count, std::memory_order_relaxed);
  // Only a leading run of exhausted messages may leave: the first one kept, and everything after it,
  // is delivered again, so nothing overtakes a message that is still being retried.
  std::vector<MessageExt> done;
  std::vector<MessageExt> again;
  for (const auto& message : batch) {
    const auto times = message.get_reconsume_times();
    if (again.empty() && times >= options_.max_reconsume_times) {
      if (options_.broadcasting) {
        LOG_WARN("broadcasting orderly consumer skips message " << message.get_msg_id() << " of " << queue.to_string()
                                                                << " after " << times << " reconsumes (no dead-letter queue)");
        done.push_back(message);
        continue;
      }
      if (host.send_message_back(message, kDeadLetterDelayLevel)) {
        dead_lettered_.fetch_add(1, std::memory_order_relaxed);
        LOG_WARN("orderly message " << message.get_msg_id() << " of " << queue.to_string() << " failed " << times + 1
                                    << " times; moved to the dead-letter queue");
        done.push_back(message);
        continue;
      }
      LOG_WARN("orderly message " << message.get_msg_id() << " of " << queue.to_string()
                                  << " could not be moved to the dead-letter queue; the queue stays suspended");
    }
    again.push_back(with_reconsume_times(message, times + 1));
  }
  const auto offset = process_queue.settle_taken(done, again);
  if (!done.empty() && offset >= 0) host.commit_offset(queue, process_queue, offset);
  return !again.empty();
}

ConsumeResult ConsumeMessageOrderlyService::call_listener(const std::vector<MessageExt>& messages,
                                                         const MessageQueue* queue) {
  const auto started = std::chrono::steady_clock::now();
  ConsumeResult result = ConsumeResult::ReconsumeLater;
  try {
    result = listener_->consume_message(messages);
  } catch (const std::exception& error) {
    LOG_WARN("orderly listener threw for " << messages.size() << " message(s), first " << messages.front().get_msg_id()
                                           << ": " << error.what() << "; the queue pauses and they come again");
  } catch (...) {
    LOG_WARN("orderly listener threw a non-standard exception; the queue pauses and the batch comes again");
  }
  const auto elapsed = std::chrono::steady_clock::now() - started;
  listener_calls_.fetch_add(1, std::memory_order_relaxed);
  listener_nanos_.fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count(),
                            std::memory_order_relaxed);
  if (elapsed > options_.consume_timeout) {
    timed_out_.fetch_add(static_cast<std::int64_t>(messages.size()), std::memory_order_relaxed);
    LOG_WARN("orderly listener call on " << messages.size() << " message(s)"
                                         << (queue ? " of " + queue->to_string() : std::string())
                                         << ", first " << messages.front().get_msg_id() << ", took "
                                         << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
                                         << " ms, over the consume timeout of " << options_.consume_timeout.count()
                                         << " ms; its queue waited for it (order is kept)");
  }
  return result;
}

ConsumeResult ConsumeMessageOrderlyService::consume_directly(const MessageExt& message) {
  return call_listener({message});
}

ConsumeStatsSnapshot ConsumeMessageOrderlyService::stats() const {
  ConsumeStatsSnapshot snapshot;
  snapshot.consumed_ok = consumed_ok_.load();
  snapshot.consumed_failed = consumed_failed_.load();
  snapshot.timed_out = timed_out_.load();
  const auto calls = listener_calls_.load();
  snapshot.average_rt_ms =
      calls == 0 ? 0.0 : static_cast<double>(listener_nanos_.load()) / 1e6 / static_cast<double>(calls);
  return snapshot;
}

}  // namespace rocketmq::consumer
