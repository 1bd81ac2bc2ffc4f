#include "common/scheduler.h"

#include "common/log.h"

namespace rocketmq::common {

Scheduler::Scheduler(std::string name) : name_(std::move(name)), thread_([this] { run(); }) {}

Scheduler::~Scheduler() { shutdown(); }

Scheduler::TaskId Scheduler::schedule(std::chrono::milliseconds delay, std::function<void()> task) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return 0;
  const TaskId id = next_id_++;
  tasks_.emplace(id, Task{std::move(task), std::chrono::milliseconds(0)});
  due_.emplace(Clock::now() + delay, id);
  wakeup_.notify_one();
  return id;
}

Scheduler::TaskId Scheduler::schedule_every(std::chrono::milliseconds initial_delay, std::chrono::milliseconds period,
                                            std::function<void()> task) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return 0;
  const TaskId id = next_id_++;
  tasks_.emplace(id, Task{std::move(task), period.count() > 0 ? period : std::chrono::milliseconds(1)});
  due_.emplace(Clock::now() + initial_delay, id);
  wakeup_.notify_one();
  return id;
}

void Scheduler::cancel(TaskId id) {
  std::lock_guard<std::mutex> lock(mutex_);
  tasks_.erase(id);  // its entry in due_ is skipped when it comes up
}

void Scheduler::shutdown() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
    wakeup_.notify_all();
  }
  if (thread_.joinable() && !in_scheduler_thread()) thread_.join();
  std::lock_guard<std::mutex> lock(mutex_);
  tasks_.clear();
  due_.clear();
}

void Scheduler::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (due_.empty()) {
      wakeup_.wait(lock);
      continue;
    }
    const auto next = due_.begin()->first;
    if (Clock::now() < next) {
      wakeup_.wait_until(lock, next);
      continue;
    }
    const TaskId id = due_.begin()->second;
    due_.erase(due_.begin());
    auto it = tasks_.find(id);
    if (it == tasks_.end()) continue;  // cancelled
    auto function = it->second.function;
    const auto period = it->second.period;
    if (period.count() == 0) tasks_.erase(it);
    lock.unlock();
    try {
      function();
    } catch (const std::exception& error) {
      LOG_ERROR("scheduler " << name_ << ": task threw: " << error.what());
    } catch (...) {
      LOG_ERROR("scheduler " << name_ << ": task threw a non-standard exception");
    }
    lock.lock();
    if (period.count() > 0 && tasks_.count(id) != 0 && !stopping_) due_.emplace(Clock::now() + period, id);
  }
}

}  // namespace rocketmq::common
