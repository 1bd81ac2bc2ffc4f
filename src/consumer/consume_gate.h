#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "rocketmq/message_queue.h"

namespace rocketmq::consumer {

// What PushConsumer::suspend() and resume() act on: which queues may start listener calls and pulls.
//
// A queue is paused while the whole consumer, its topic or the queue itself is suspended. Work that
// finds its queue paused is parked here as a closure (a batch for the listener, the queue's next
// pull) and run again by the resume that lets the queue go, so nothing waits for a timer and
// nothing is lost. A listener call enters through enter() and leaves through leave(); suspend waits
// (with a deadline) for the calls in flight on the queues it pauses, so that once it returns no
// listener call of those queues is running or starting.
//
// Scopes are independent flags: resume(topic) lifts a topic's suspension but not the consumer's
// or a queue's; resume_all() lifts every one of them.
//
// Threads: enter/leave/park on consume and I/O threads; suspend/resume on application threads
// (never a listener's: suspend would wait for the caller's own call). Parked closures run on the
// resuming thread and must be short (they queue work). Thread-safe.
class ConsumeGate {
 public:
  using Parked = std::function<void()>;

  // Enters a listener call on `queue` when it is not paused; otherwise parks `retry` and returns false.
  bool enter(const MessageQueue& queue, Parked retry);
  // enter() without a closure: false when the queue is paused, and then nothing was parked (the
  // caller falls back to enter(), which parks or enters atomically). Lets a consume task skip
  // building the retry closure (a heap allocation per listener call) in the common unpaused case.
  bool try_enter(const MessageQueue& queue);
  void leave(const MessageQueue& queue);
  // Parks `retry` and returns true when `queue` is paused (a pull that must not be sent).
  bool park_if_paused(const MessageQueue& queue, Parked retry);
  bool paused(const MessageQueue& queue) const;

  // Each suspend returns once no listener call of the queues it pauses is in flight, or at
  // `wait_for` (calls still in flight then finish normally). Returns false when it timed out.
  bool suspend_all(std::chrono::milliseconds wait_for);
  bool suspend_topic(const std::string& topic, std::chrono::milliseconds wait_for);
  bool suspend_queues(const std::vector<MessageQueue>& queues, std::chrono::milliseconds wait_for);
  void resume_all();
  void resume_topic(const std::string& topic);
  void resume_queues(const std::vector<MessageQueue>& queues);

  bool all_suspended() const;
  // Of `owned`, the queues paused now.
  std::vector<MessageQueue> paused_of(const std::vector<MessageQueue>& owned) const;
  // Drops every parked closure (shutdown): what they held is released without running them.
  void close();

 private:
  bool paused_locked(const MessageQueue& queue) const;
  bool wait_idle(std::unique_lock<std::mutex>& lock, std::chrono::milliseconds wait_for);
  void run_unpaused(std::unique_lock<std::mutex>& lock);

  mutable std::mutex mutex_;
  std::condition_variable idle_;
  bool all_ = false;
  bool closed_ = false;
  std::set<std::string> topics_;
  std::set<MessageQueue> queues_;
  std::map<MessageQueue, int> in_flight_;
  std::multimap<MessageQueue, Parked> parked_;
};

}  // namespace rocketmq::consumer
