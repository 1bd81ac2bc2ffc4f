#include "consumer/process_queue.h"

namespace rocketmq::consumer {

std::size_t ProcessQueue::put(const std::vector<MessageExt>& messages) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t added = 0;
  std::int64_t bytes = 0;
  for (const auto& message : messages) {
    const auto offset = message.get_queue_offset();
    if (taken_.count(offset) == 0 && messages_.emplace(offset, message).second) {
      ++added;
      bytes += static_cast<std::int64_t>(message.get_body().size());
    }
    if (offset > max_offset_put_) max_offset_put_ = offset;
  }
  cached_count_.fetch_add(static_cast<std::int64_t>(added), std::memory_order_relaxed);
  cached_bytes_.fetch_add(bytes, std::memory_order_relaxed);
  return added;
}

std::int64_t ProcessQueue::remove(const std::vector<MessageExt>& messages) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::int64_t removed = 0;
  std::int64_t bytes = 0;
  for (const auto& message : messages) {
    auto it = messages_.find(message.get_queue_offset());
    if (it == messages_.end()) continue;
    ++removed;
    bytes += static_cast<std::int64_t>(it->second.get_body().size());
    messages_.erase(it);
  }
  cached_count_.fetch_sub(removed, std::memory_order_relaxed);
  cached_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  if (!messages_.empty()) return messages_.begin()->first;
  return max_offset_put_ < 0 ? -1 : max_offset_put_ + 1;
}

bool ProcessQueue::pulled_through(std::int64_t next_offset) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (next_offset - 1 > max_offset_put_) max_offset_put_ = next_offset - 1;
  return messages_.empty() && taken_.empty();
}

std::vector<MessageExt> ProcessQueue::take(std::size_t max) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<MessageExt> batch;
  while (batch.size() < max && !messages_.empty()) {
    auto first = messages_.begin();
    batch.push_back(first->second);
    taken_.insert(messages_.extract(first));
  }
  return batch;
}

std::int64_t ProcessQueue::settle_taken(const std::vector<MessageExt>& done, const std::vector<MessageExt>& again) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::int64_t removed = 0;
  std::int64_t bytes = 0;
  for (const auto& message : done) {
    auto it = taken_.find(message.get_queue_offset());
    if (it == taken_.end()) continue;
    ++removed;
    bytes += static_cast<std::int64_t>(it->second.get_body().size());
    taken_.erase(it);
  }
  for (const auto& message : again) {
    auto it = taken_.find(message.get_queue_offset());
    if (it != taken_.end()) it->second = message;
  }
  // A message pulled again meanwhile (same offset) is the same message: keep the taken copy.
  for (auto& [offset, message] : taken_) messages_.insert_or_assign(offset, std::move(message));
  taken_.clear();
  cached_count_.fetch_sub(removed, std::memory_order_relaxed);
  cached_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  if (!messages_.empty()) return messages_.begin()->first;
  return max_offset_put_ < 0 ? -1 : max_offset_put_ + 1;
}

bool ProcessQueue::begin_dispatch() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (dispatching_) return false;
  dispatching_ = true;
  return true;
}

bool ProcessQueue::end_dispatch_if_idle() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!messages_.empty()) return false;
  dispatching_ = false;
  return true;
}

// The taken batch (orderly) always holds the lowest offsets: nothing below it is cached.
std::int64_t ProcessQueue::span() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (messages_.empty() && taken_.empty()) return 0;
  const auto low = taken_.empty() ? messages_.begin()->first : taken_.begin()->first;
  const auto high = messages_.empty() ? taken_.rbegin()->first : messages_.rbegin()->first;
  return high - low;
}

std::int64_t ProcessQueue::min_cached_offset() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!taken_.empty()) return taken_.begin()->first;
  return messages_.empty() ? -1 : messages_.begin()->first;
}

std::int64_t ProcessQueue::max_cached_offset() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!messages_.empty()) return messages_.rbegin()->first;
  return taken_.empty() ? -1 : taken_.rbegin()->first;
}

std::int64_t ProcessQueue::next_offset_after_cache() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return max_offset_put_ < 0 ? -1 : max_offset_put_ + 1;
}

void ProcessQueue::set_locked(bool locked) noexcept {
  if (locked) {
    last_lock_ = Clock::now().time_since_epoch().count();
    last_lock_epoch_millis_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  }
  locked_ = locked;
}

}  // namespace rocketmq::consumer
