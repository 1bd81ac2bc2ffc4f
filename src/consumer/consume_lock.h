#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace rocketmq::consumer {

// The consume token of one orderly queue (see ProcessQueue::consume_lock): a TimedLockable, usable
// with std::unique_lock. The SDK releases it on the thread that took it; nothing enforces that.
//
// Why not std::timed_mutex: libstdc++ implements its try_lock_for with pthread_mutex_clocklock,
// which ThreadSanitizer (GCC 12) does not intercept, so every release after a timed acquisition is
// reported as the unlock of an unlocked mutex. A flag under a mutex and a condition variable means
// the same and is understood by the sanitizers.
class ConsumeLock {
 public:
  void lock() {
    std::unique_lock<std::mutex> lock(mutex_);
    released_.wait(lock, [this] { return !held_; });
    held_ = true;
  }

  bool try_lock() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (held_) return false;
    held_ = true;
    return true;
  }

  template <class Rep, class Period>
  bool try_lock_for(const std::chrono::duration<Rep, Period>& timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!released_.wait_for(lock, timeout, [this] { return !held_; })) return false;
    held_ = true;
    return true;
  }

  void unlock() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      held_ = false;
    }
    released_.notify_one();
  }

 private:
  std::mutex mutex_;
  std::condition_variable released_;
  bool held_ = false;
};

}  // namespace rocketmq::consumer
