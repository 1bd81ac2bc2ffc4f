#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include "consumer/consume_lock.h"
#include "rocketmq/message_ext.h"

namespace rocketmq::consumer {

// The cache of one owned queue between pull and listener: messages by queue offset, with the
// counters flow control needs. A queue given away is marked dropped; its pull loop and consume tasks
// stop at their next step, and a re-assignment creates a new ProcessQueue, so a late response of the
// old loop can never feed the new one. Thread-safe.
//
// The cache is a deque sorted by offset in which a consumed message leaves a hole until everything
// below it is consumed too: pulls append in offset order, so put() is a push_back and remove() a
// binary search plus popping the consumed prefix (and suffix). Both ends always hold a cached
// message, so the lowest offset in flight (what may be committed) is the front. A std::map here
// cost a node allocation per message on the I/O thread and a free on a consume thread.
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
  // never put, so the committed offset can pass them. Returns true when nothing is cached (nor
  // taken by an orderly listener call).
  bool pulled_through(std::int64_t next_offset);

  // ---- orderly consumption: a batch is taken from the front, consumed, then settled.
  // Moves up to `max` of the lowest cached offsets aside for one listener call and returns them in
  // queue order (empty when nothing is cached). They still count as cached until settled.
  std::vector<MessageExt> take(std::size_t max);
  // Ends the taken batch: `done` leaves the queue, `again` (copies with a new reconsume count)
  // replaces its taken messages and goes back to the front, as does anything else still taken.
  // Returns the offset that may be committed, by remove()'s rule.
  std::int64_t settle_taken(const std::vector<MessageExt>& done, const std::vector<MessageExt>& again);
  // One task at a time runs a queue's listener calls: true when the caller became that task.
  bool begin_dispatch();
  // The dispatching task stops when nothing is cached: true when it did (the flag is cleared), false
  // when messages arrived meanwhile and it must go on. Atomic with put(), so none are left behind.
  bool end_dispatch_if_idle();
  // Held across an orderly listener call and its commit: a queue given away is released (its broker
  // lock) only once this is free, so the next owner never overlaps the call in flight.
  ConsumeLock& consume_lock() noexcept { return consume_lock_; }

  std::int64_t cached_count() const noexcept { return cached_count_.load(std::memory_order_relaxed); }
  std::int64_t cached_bytes() const noexcept { return cached_bytes_.load(std::memory_order_relaxed); }
  // Distance between the lowest and highest cached offsets (0 when empty).
  std::int64_t span() const;
  std::int64_t min_cached_offset() const;  // -1 when empty
  std::int64_t max_cached_offset() const;  // -1 when empty

  bool dropped() const noexcept { return dropped_.load(std::memory_order_acquire); }
  // A seek or an offset reset replaced this queue's position: nothing it consumed may be committed.
  // Set and read under the consumer's commit mutex.
  void mark_offset_reset() noexcept { offset_reset_ = true; }
  bool offset_reset() const noexcept { return offset_reset_; }
  // The last pull that answered (max offset known from it).
  void touch_pull_answer() noexcept { last_pull_answer_ = Clock::now().time_since_epoch().count(); }
  Clock::time_point last_pull_answer() const noexcept {
    return Clock::time_point(Clock::duration(last_pull_answer_.load()));
  }
  // Flow control paused its pulls at the last step (slow consumer).
  void set_flow_controlled(bool on) noexcept { flow_controlled_.store(on, std::memory_order_relaxed); }
  bool flow_controlled() const noexcept { return flow_controlled_.load(std::memory_order_relaxed); }
  void mark_dropped() noexcept { dropped_.store(true, std::memory_order_release); }

  void touch_pull() noexcept { last_pull_ = Clock::now().time_since_epoch().count(); }
  Clock::time_point last_pull() const noexcept { return Clock::time_point(Clock::duration(last_pull_.load())); }

  // Orderly consumption: the broker lock and its freshness. set_locked(true) renews it.
  bool locked() const noexcept { return locked_.load(); }
  void set_locked(bool locked) noexcept;
  Clock::time_point last_lock() const noexcept { return Clock::time_point(Clock::duration(last_lock_.load())); }
  // Held and renewed within `max_age`: the broker keeps a lock 60 s after its last renewal, renewals
  // run every 20 s, so an older one may already belong to another client.
  bool lock_valid(Clock::duration max_age) const noexcept {
    return locked() && Clock::now() - last_lock() <= max_age;
  }
  // Releases of this queue that had to wait for a listener call in flight (running info).
  void count_unlock_attempt() noexcept { try_unlock_times_.fetch_add(1, std::memory_order_relaxed); }
  std::int64_t try_unlock_times() const noexcept { return try_unlock_times_.load(std::memory_order_relaxed); }
  // Wall-clock time (ms) of the last renewal, for running info; 0 when never locked.
  std::int64_t last_lock_epoch_millis() const noexcept { return last_lock_epoch_millis_.load(); }

  // Orderly consumption: the queue waits (after ReconsumeLater, or for its broker lock) before its
  // next listener call. For stats and running info.
  void set_consume_paused(bool paused) noexcept { consume_paused_.store(paused, std::memory_order_relaxed); }
  bool consume_paused() const noexcept { return consume_paused_.load(std::memory_order_relaxed); }

  // Broker max offset seen by the last pull (lag = max_offset - committed offset). Never lowered:
  // a pull answered before lag() asked the broker directly may complete after it, and must not
  // bring back the older figure (a faster pull loop made that race show in the suspend tests).
  void set_broker_max_offset(std::int64_t offset) noexcept {
    auto current = broker_max_offset_.load();
    while (offset > current && !broker_max_offset_.compare_exchange_weak(current, offset)) {
    }
  }
  std::int64_t broker_max_offset() const noexcept { return broker_max_offset_.load(); }

 private:
  struct Entry {
    std::int64_t offset;
    MessageExt message;
    bool cached;  // false: consumed (or taken), a hole kept until the ends move past it
  };
  // Under mutex_.
  std::deque<Entry>::iterator find_locked(std::int64_t offset);
  // Caches `message` at `offset` unless an entry holds it already; true when added.
  bool insert_locked(std::int64_t offset, const MessageExt& message);
  void trim_locked();  // pops holes off both ends

  mutable std::mutex mutex_;
  std::deque<Entry> messages_;  // sorted by offset; front and back are cached (or it is empty)
  std::map<std::int64_t, MessageExt> taken_;  // orderly: the batch of the listener call in flight
  bool dispatching_ = false;
  ConsumeLock consume_lock_;
  std::int64_t max_offset_put_ = -1;
  std::atomic<std::int64_t> cached_count_{0};
  std::atomic<std::int64_t> cached_bytes_{0};
  std::atomic<bool> dropped_{false};
  std::atomic<bool> locked_{false};
  std::atomic<bool> consume_paused_{false};
  std::atomic<bool> flow_controlled_{false};
  bool offset_reset_ = false;
  std::atomic<Clock::rep> last_pull_answer_{0};
  std::atomic<Clock::rep> last_pull_{Clock::now().time_since_epoch().count()};
  std::atomic<Clock::rep> last_lock_{0};
  std::atomic<std::int64_t> last_lock_epoch_millis_{0};
  std::atomic<std::int64_t> try_unlock_times_{0};
  std::atomic<std::int64_t> broker_max_offset_{-1};
};

}  // namespace rocketmq::consumer
