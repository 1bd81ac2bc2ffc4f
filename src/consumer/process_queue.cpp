#include "consumer/process_queue.h"

namespace rocketmq::consumer {

std::size_t ProcessQueue::put(const std::vector<MessageExt>& messages) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t added = 0;
  std::int64_t bytes = 0;
  for (const auto& message : messages) {
    const auto offset = message.get_queue_offset();
    if (messages_.emplace(offset, message).second) {
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
  return messages_.empty();
}

std::int64_t ProcessQueue::span() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_.empty() ? 0 : messages_.rbegin()->first - messages_.begin()->first;
}

std::int64_t ProcessQueue::min_cached_offset() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_.empty() ? -1 : messages_.begin()->first;
}

std::int64_t ProcessQueue::max_cached_offset() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return messages_.empty() ? -1 : messages_.rbegin()->first;
}

std::int64_t ProcessQueue::next_offset_after_cache() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return max_offset_put_ < 0 ? -1 : max_offset_put_ + 1;
}

void ProcessQueue::set_locked(bool locked) noexcept {
  locked_ = locked;
  if (locked) last_lock_ = Clock::now().time_since_epoch().count();
}

}  // namespace rocketmq::consumer
