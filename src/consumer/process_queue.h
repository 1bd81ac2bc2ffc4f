#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <vector>

#include "rocketmq/message_ext.h"

namespace rocketmq::consumer {

// The cache of one owned queue between pull and listener: messages by queue offset, with the
// counters flow control needs. A queue given away is marked dropped; its pull loop and consume tasks
// stop at their next step, and a re-assignment creates a new ProcessQueue, so a late response of the
// old loop can never feed the new one. Thread-safe.
class ProcessQueue {
 public:
  using Clock = std::chrono::steady_clock;

  // Adds pulled messages (ignoring offsets already held). Returns how many were new.
  std::size_t put(const std::vector<MessageExt>& messages);

  // Removes consumed (or handed-back) messages and returns the offset that may be committed: the
  // lowest offset still held, or one past the highest offset ever put when nothing is held. Returns
  // -1 when nothing was ever put.
  std::int64_t remove(const std::vector<MessageExt>& messages);

  // Records that everything below `next_offset` was pulled, including messages filtered out and
  // never put, so the committed offset can pass them. Returns true when nothing is cached.
  bool pulled_through(std::int64_t next_offset);

  std::int64_t cached_count() const noexcept { return cached_count_.load(std::memory_order_relaxed); }
  std::int64_t cached_bytes() const noexcept { return cached_bytes_.load(std::memory_order_relaxed); }
  // Distance between the lowest and highest cached offsets (0 when empty).
  std::int64_t span() const;
  std::int64_t min_cached_offset() const;  // -1 when empty
  std::int64_t max_cached_offset() const;  // -1 when empty
  // One past the highest offset ever put, or -1.
  std::int64_t next_offset_after_cache() const;

  bool dropped() const noexcept { return dropped_.load(std::memory_order_acquire); }
  void mark_dropped() noexcept { dropped_.store(true, std::memory_order_release); }

  void touch_pull() noexcept { last_pull_ = Clock::now().time_since_epoch().count(); }
  void touch_consume() noexcept { last_consume_ = Clock::now().time_since_epoch().count(); }
  Clock::time_point last_pull() const noexcept { return Clock::time_point(Clock::duration(last_pull_.load())); }
  Clock::time_point last_consume() const noexcept {
    return Clock::time_point(Clock::duration(last_consume_.load()));
  }

  // Orderly consumption: the broker lock and its freshness.
  bool locked() const noexcept { return locked_.load(); }
  void set_locked(bool locked) noexcept;
  Clock::time_point last_lock() const noexcept { return Clock::time_point(Clock::duration(last_lock_.load())); }

  // Broker max offset seen by the last pull (lag = max_offset - committed offset).
  void set_broker_max_offset(std::int64_t offset) noexcept { broker_max_offset_ = offset; }
  std::int64_t broker_max_offset() const noexcept { return broker_max_offset_.load(); }

 private:
  mutable std::mutex mutex_;
  std::map<std::int64_t, MessageExt> messages_;
  std::int64_t max_offset_put_ = -1;
  std::atomic<std::int64_t> cached_count_{0};
  std::atomic<std::int64_t> cached_bytes_{0};
  std::atomic<bool> dropped_{false};
  std::atomic<bool> locked_{false};
  std::atomic<Clock::rep> last_pull_{Clock::now().time_since_epoch().count()};
  std::atomic<Clock::rep> last_consume_{Clock::now().time_since_epoch().count()};
  std::atomic<Clock::rep> last_lock_{0};
  std::atomic<std::int64_t> broker_max_offset_{-1};
};

}  // namespace rocketmq::consumer
