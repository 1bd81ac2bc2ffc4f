#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

namespace rocketmq::common {

// A single thread for periodic and possibly blocking background work (route refresh, heartbeat,
// rebalance, offset persistence, delayed pull retries). Tasks run one at a time in due order; an
// exception from a task is logged and does not stop the scheduler.
class Scheduler {
 public:
  using Clock = std::chrono::steady_clock;
  using TaskId = std::uint64_t;

  explicit Scheduler(std::string name);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  TaskId post(std::function<void()> task) { return schedule(std::chrono::milliseconds(0), std::move(task)); }
  TaskId schedule(std::chrono::milliseconds delay, std::function<void()> task);
  // First run after `initial_delay`, then every `period` after the previous run ended.
  TaskId schedule_every(std::chrono::milliseconds initial_delay, std::chrono::milliseconds period,
                        std::function<void()> task);
  // A task that is running finishes; it will not run again.
  void cancel(TaskId id);
  // Runs nothing more; joins the thread. Idempotent. Not from a task.
  void shutdown();
  bool in_scheduler_thread() const noexcept { return std::this_thread::get_id() == thread_.get_id(); }

 private:
  struct Task {
    std::function<void()> function;
    std::chrono::milliseconds period{0};  // 0 = once
  };
  // Shared with the thread, so the scheduler may be destroyed by one of its own tasks (the last
  // owner of a client instance can let go on this thread): the thread is then detached and
  // finishes with this state alone.
  struct State {
    std::string name;
    std::mutex mutex;
    std::condition_variable wakeup;
    std::multimap<Clock::time_point, TaskId> due;
    std::map<TaskId, Task> tasks;
    TaskId next_id = 1;
    bool stopping = false;
  };
  static void run(const std::shared_ptr<State>& state);
  TaskId add(std::chrono::milliseconds delay, std::chrono::milliseconds period, std::function<void()> task);

  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace rocketmq::common
