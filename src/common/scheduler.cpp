#include "common/scheduler.h"

#include "common/log.h"
#include "common/thread_name.h"

namespace rocketmq::common {

Scheduler::Scheduler(std::string name) : state_(std::make_shared<State>()) {
  state_->name = std::move(name);
  thread_ = std::thread([state = state_] {
    set_current_thread_name("sched");
    run(state);
  });
}

Scheduler::~Scheduler() { shutdown(); }

Scheduler::TaskId Scheduler::add(std::chrono::milliseconds delay, std::chrono::milliseconds period,
                                 std::function<void()> task) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  if (state_->stopping) return 0;
  const TaskId id = state_->next_id++;
  state_->tasks.emplace(id, Task{std::move(task), period});
  state_->due.emplace(Clock::now() + delay, id);
  state_->wakeup.notify_one();
  return id;
}

Scheduler::TaskId Scheduler::schedule(std::chrono::milliseconds delay, std::function<void()> task) {
  return add(delay, std::chrono::milliseconds(0), std::move(task));
}

Scheduler::TaskId Scheduler::schedule_every(std::chrono::milliseconds initial_delay, std::chrono::milliseconds period,
                                            std::function<void()> task) {
  return add(initial_delay, period.count() > 0 ? period : std::chrono::milliseconds(1), std::move(task));
}

void Scheduler::cancel(TaskId id) {
  std::lock_guard<std::mutex> lock(state_->mutex);
  state_->tasks.erase(id);  // its entry in `due` is skipped when it comes up
}

void Scheduler::shutdown() {
  std::map<TaskId, Task> dropped;  // destroyed outside the lock: tasks may own anything
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    state_->stopping = true;
    state_->wakeup.notify_all();
    dropped.swap(state_->tasks);
    state_->due.clear();
  }
  if (!thread_.joinable()) return;
  if (in_scheduler_thread()) {
    thread_.detach();  // called by one of our tasks: the loop ends when that task returns
  } else {
    thread_.join();
  }
}

void Scheduler::run(const std::shared_ptr<State>& state) {
  std::unique_lock<std::mutex> lock(state->mutex);
  while (!state->stopping) {
    if (state->due.empty()) {
      state->wakeup.wait(lock);
      continue;
    }
    const auto next = state->due.begin()->first;
    if (Clock::now() < next) {
      state->wakeup.wait_until(lock, next);
      continue;
    }
    const TaskId id = state->due.begin()->second;
    state->due.erase(state->due.begin());
    auto it = state->tasks.find(id);
    if (it == state->tasks.end()) continue;  // cancelled
    auto function = it->second.function;
    const auto period = it->second.period;
    if (period.count() == 0) state->tasks.erase(it);
    lock.unlock();
    try {
      function();
    } catch (const std::exception& error) {
      LOG_ERROR("scheduler " << state->name << ": task threw: " << error.what());
    } catch (...) {
      LOG_ERROR("scheduler " << state->name << ": task threw a non-standard exception");
    }
    function = nullptr;  // release what the task holds before taking the lock again
    lock.lock();
    if (period.count() > 0 && state->tasks.count(id) != 0 && !state->stopping) {
      state->due.emplace(Clock::now() + period, id);
    }
  }
}

}  // namespace rocketmq::common
