#include "consumer/process_queue.h"

#include <algorithm>

#include "consumer/message_ext_data.h"

namespace rocketmq::consumer {

std::deque<ProcessQueue::Entry>::iterator ProcessQueue::find_locked(std::int64_t offset) {
  auto it = std::lower_bound(messages_.begin(), messages_.end(), offset,
                             [](const Entry& entry, std::int64_t wanted) { return entry.offset < wanted; });
  return it != messages_.end() && it->offset == offset ? it : messages_.end();
}

bool ProcessQueue::insert_locked(std::int64_t offset, const MessageExt& message) {
  // The common case: a pull result continues where the previous one ended.
  if (messages_.empty() || offset > messages_.back().offset) {
    messages_.push_back(Entry{offset, message, true});
    return true;
  }
  if (offset < messages_.front().offset) {
    messages_.push_front(Entry{offset, message, true});
    return true;
  }
  auto it = std::lower_bound(messages_.begin(), messages_.end(), offset,
                             [](const Entry& entry, std::int64_t wanted) { return entry.offset < wanted; });
  if (it != messages_.end() && it->offset == offset) {
    if (it->cached) return false;
    it->message = message;  // consumed before and pulled again: cached again, as a map would
    it->cached = true;
    return true;
  }
  messages_.insert(it, Entry{offset, message, true});
  return true;
}

void ProcessQueue::trim_locked() {
  while (!messages_.empty() && !messages_.front().cached) messages_.pop_front();
  while (!messages_.empty() && !messages_.back().cached) messages_.pop_back();
}

std::size_t ProcessQueue::put(const std::vector<MessageExt>& messages) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t added = 0;
  std::int64_t bytes = 0;
  for (const auto& message : messages) {
    const auto offset = message.get_queue_offset();
    if ((taken_.empty() || taken_.count(offset) == 0) && insert_locked(offset, message)) {
      ++added;
      bytes += static_cast<std::int64_t>(detail::MessageExtAccess::data(message).body_size());
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
    auto it = find_locked(message.get_queue_offset());
    if (it == messages_.end() || !it->cached) continue;
    ++removed;
    bytes += static_cast<std::int64_t>(detail::MessageExtAccess::data(it->message).body_size());
    it->cached = false;
    it->message = MessageExt();  // a hole holds no message: its memory goes now, not at the trim
  }
  trim_locked();
  cached_count_.fetch_sub(removed, std::memory_order_relaxed);
  cached_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  if (!messages_.empty()) return messages_.front().offset;
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
    auto& first = messages_.front();  // cached: the ends always are
    batch.push_back(first.message);
    taken_.emplace(first.offset, std::move(first.message));
    messages_.pop_front();
    trim_locked();
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
    bytes += static_cast<std::int64_t>(detail::MessageExtAccess::data(it->second).body_size());
    taken_.erase(it);
  }
  for (const auto& message : again) {
    auto it = taken_.find(message.get_queue_offset());
    if (it != taken_.end()) it->second = message;
  }
  // A message pulled again meanwhile (same offset) is the same message: keep the taken copy.
  for (auto& [offset, message] : taken_) {
    if (!insert_locked(offset, message)) find_locked(offset)->message = std::move(message);
  }
  taken_.clear();
  cached_count_.fetch_sub(removed, std::memory_order_relaxed);
  cached_bytes_.fetch_sub(bytes, std::memory_order_relaxed);
  if (!messages_.empty()) return messages_.front().offset;
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
  const auto low = taken_.empty() ? messages_.front().offset : taken_.begin()->first;
  const auto high = messages_.empty() ? taken_.rbegin()->first : messages_.back().offset;
  return high - low;
}

std::int64_t ProcessQueue::min_cached_offset() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!taken_.empty()) return taken_.begin()->first;
  return messages_.empty() ? -1 : messages_.front().offset;
}

std::int64_t ProcessQueue::max_cached_offset() const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!messages_.empty()) return messages_.back().offset;
  return taken_.empty() ? -1 : taken_.rbegin()->first;
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
