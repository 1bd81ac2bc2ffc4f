#include "consumer/consume_gate.h"

#include <utility>

namespace rocketmq::consumer {

bool ConsumeGate::paused_locked(const MessageQueue& queue) const {
  return all_ || topics_.count(queue.topic) != 0 || queues_.count(queue) != 0;
}

bool ConsumeGate::paused(const MessageQueue& queue) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return paused_locked(queue);
}

bool ConsumeGate::enter(const MessageQueue& queue, Parked retry) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (paused_locked(queue)) {
    if (!closed_) parked_.emplace(queue, std::move(retry));
    return false;
  }
  ++in_flight_[queue];
  return true;
}

bool ConsumeGate::try_enter(const MessageQueue& queue) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (paused_locked(queue)) return false;
  ++in_flight_[queue];
  return true;
}

// A queue's entry stays at zero rather than being erased: with every message its own listener
// call, erasing made a map node allocation and free per call. The map holds one entry per queue
// ever consumed here (bounded by the topic's queues); wait_idle() ignores zero counts.
void ConsumeGate::leave(const MessageQueue& queue) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = in_flight_.find(queue);
  if (it == in_flight_.end() || it->second == 0) return;
  --it->second;
  idle_.notify_all();
}

bool ConsumeGate::park_if_paused(const MessageQueue& queue, Parked retry) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!paused_locked(queue)) return false;
  if (!closed_) parked_.emplace(queue, std::move(retry));
  return true;
}

bool ConsumeGate::wait_idle(std::unique_lock<std::mutex>& lock, std::chrono::milliseconds wait_for) {
  return idle_.wait_for(lock, wait_for, [this] {
    for (const auto& [queue, calls] : in_flight_) {
      if (calls > 0 && paused_locked(queue)) return false;
    }
    return true;
  });
}

bool ConsumeGate::suspend_all(std::chrono::milliseconds wait_for) {
  std::unique_lock<std::mutex> lock(mutex_);
  all_ = true;
  return wait_idle(lock, wait_for);
}

bool ConsumeGate::suspend_topic(const std::string& topic, std::chrono::milliseconds wait_for) {
  std::unique_lock<std::mutex> lock(mutex_);
  topics_.insert(topic);
  return wait_idle(lock, wait_for);
}

bool ConsumeGate::suspend_queues(const std::vector<MessageQueue>& queues, std::chrono::milliseconds wait_for) {
  std::unique_lock<std::mutex> lock(mutex_);
  queues_.insert(queues.begin(), queues.end());
  return wait_idle(lock, wait_for);
}

void ConsumeGate::run_unpaused(std::unique_lock<std::mutex>& lock) {
  std::vector<Parked> ready;
  for (auto it = parked_.begin(); it != parked_.end();) {
    if (paused_locked(it->first)) {
      ++it;
      continue;
    }
    ready.push_back(std::move(it->second));
    it = parked_.erase(it);
  }
  lock.unlock();
  for (auto& task : ready) task();
}

void ConsumeGate::resume_all() {
  std::unique_lock<std::mutex> lock(mutex_);
  all_ = false;
  topics_.clear();
  queues_.clear();
  run_unpaused(lock);
}

void ConsumeGate::resume_topic(const std::string& topic) {
  std::unique_lock<std::mutex> lock(mutex_);
  topics_.erase(topic);
  for (auto it = queues_.begin(); it != queues_.end();) {
    it = it->topic == topic ? queues_.erase(it) : std::next(it);
  }
  run_unpaused(lock);
}

void ConsumeGate::resume_queues(const std::vector<MessageQueue>& queues) {
  std::unique_lock<std::mutex> lock(mutex_);
  for (const auto& queue : queues) queues_.erase(queue);
  run_unpaused(lock);
}

bool ConsumeGate::all_suspended() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return all_;
}

std::vector<MessageQueue> ConsumeGate::paused_of(const std::vector<MessageQueue>& owned) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<MessageQueue> result;
  for (const auto& queue : owned) {
    if (paused_locked(queue)) result.push_back(queue);
  }
  return result;
}

void ConsumeGate::close() {
  std::multimap<MessageQueue, Parked> dropped;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closed_ = true;
    dropped.swap(parked_);
  }
  // Destroyed outside the lock: a closure may hold the last reference to something whose
  // destructor comes back here.
}

}  // namespace rocketmq::consumer
