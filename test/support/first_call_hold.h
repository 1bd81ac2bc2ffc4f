#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace rocketmq::test {

// Holds the first thread that calls hold_if_first() until release(): a call stalled on its way (a
// thread preempted, an answer delayed), so a test can let a later call overtake it. Later calls
// pass at once.
class FirstCallHold {
 public:
  void hold_if_first() {
    std::unique_lock<std::mutex> lock(mutex_);
    if (held_once_) return;
    held_once_ = true;
    holding_ = true;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_; });
  }
  // True once the first call is being held (false after `timeout` without one).
  bool wait_until_holding(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return holding_; });
  }
  void release() {
    std::lock_guard<std::mutex> lock(mutex_);
    released_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool held_once_ = false;
  bool holding_ = false;
  bool released_ = false;
};

}  // namespace rocketmq::test
