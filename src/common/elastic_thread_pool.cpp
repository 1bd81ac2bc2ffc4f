#include "common/elastic_thread_pool.h"

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <exception>
#include <map>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "common/log.h"
#include "common/thread_name.h"

namespace rocketmq::common {
namespace {

using Clock = std::chrono::steady_clock;

void check_limits(int min_threads, int max_threads) {
  if (min_threads < 0 || max_threads < 1 || min_threads > max_threads) {
    throw std::invalid_argument("thread pool limits need 0 <= min <= max and max >= 1, got min " +
                                std::to_string(min_threads) + ", max " + std::to_string(max_threads));
  }
}

// Durations far beyond any real wait (e.g. milliseconds::max() meaning "forever") would overflow
// when added to a steady_clock time point; ten years is forever enough.
std::chrono::milliseconds clamp_wait(std::chrono::milliseconds wait) {
  constexpr std::chrono::milliseconds kLongest = std::chrono::hours(24 * 365 * 10);
  return std::clamp(wait, std::chrono::milliseconds(0), kLongest);
}

}  // namespace

// Owned jointly by the pool and by every worker thread, so a worker that outlives the pool (stuck in a
// task when shutdown timed out) still finds its mutex and counters. All fields are guarded by `mutex`.
struct ElasticThreadPool::State : std::enable_shared_from_this<ElasticThreadPool::State> {
  State(std::string pool_name, int min_limit, int max_limit, std::chrono::milliseconds idle_limit)
      : name(std::move(pool_name)),
        min_threads(min_limit),
        max_threads(max_limit),
        keep_alive(clamp_wait(idle_limit)) {}

  ~State() {
    // Only reached once shutdown() has joined or detached every thread; this covers the unexpected,
    // since destroying a joinable std::thread would terminate the process.
    for (auto& [id, thread] : workers) {
      if (thread.joinable()) thread.detach();
    }
    for (auto& thread : finished) {
      if (thread.joinable()) thread.detach();
    }
  }

  // Starts one worker. Out of threads, it logs and carries on rather than failing the submit: the
  // queued task still goes to an existing thread, or to one a later submit starts.
  void start_worker_locked() {
    ++threads;
    ++idle;  // a starting thread takes a queued task first thing, like an idle one
    try {
      std::thread thread([self = shared_from_this()] { self->run_worker(); });
      const auto id = thread.get_id();
      workers.emplace(id, std::move(thread));
      peak_threads = std::max(peak_threads, threads);
    } catch (const std::system_error& error) {
      --threads;
      --idle;
      LOG_ERROR("thread pool " << name << ": cannot start a thread (" << threads << " running): "
                               << error.what());
    }
  }

  // The threads that have left run_worker(), for the caller to join outside the lock: joining under
  // it could wait on a worker that still has to release it.
  std::vector<std::thread> take_finished_locked() {
    std::vector<std::thread> result;
    result.swap(finished);
    return result;
  }

  void run_worker();
  void run_task(std::function<void()> task) noexcept;

  const std::string name;
  mutable std::mutex mutex;
  std::condition_variable work_or_limits_changed;  // waited on by idle workers
  std::condition_variable worker_exited;           // waited on by shutdown()
  std::deque<std::function<void()>> queue;
  int min_threads;
  int max_threads;
  const std::chrono::milliseconds keep_alive;
  int threads = 0;  // live workers, idle + busy
  int idle = 0;     // live workers not running a task (including ones just started)
  int waiting = 0;  // workers blocked on work_or_limits_changed: only they need a notify
  int busy = 0;
  int peak_threads = 0;
  std::uint64_t completed = 0;
  std::size_t dropped = 0;
  bool stopping = false;
  std::map<std::thread::id, std::thread> workers;  // not yet exited, not detached
  std::vector<std::thread> finished;               // exited, not yet joined
};

namespace {

// The pool whose worker is the current thread, so shutdown() called from a task does not wait for
// (or join) its own thread.
thread_local const void* current_pool_state = nullptr;

}  // namespace

// Takes the task by value so it, and what it captured, is destroyed before the worker locks again:
// those destructors may submit or query the pool.
void ElasticThreadPool::State::run_task(std::function<void()> task) noexcept {
  try {
    task();
  } catch (const std::exception& error) {
    LOG_ERROR("thread pool " << name << ": task threw: " << error.what());
  } catch (...) {
    LOG_ERROR("thread pool " << name << ": task threw a non-standard exception");
  }
}

void ElasticThreadPool::State::run_worker() {
  current_pool_state = this;
  set_current_thread_name(name);
  std::unique_lock<std::mutex> lock(mutex);
  auto idle_since = Clock::now();
  while (!stopping && threads <= max_threads) {
    if (!queue.empty()) {
      auto task = std::move(queue.front());
      queue.pop_front();
      --idle;
      ++busy;
      lock.unlock();
      run_task(std::move(task));
      lock.lock();
      --busy;
      ++idle;
      ++completed;
      idle_since = Clock::now();
      continue;
    }
    if (threads <= min_threads) {
      ++waiting;
      work_or_limits_changed.wait(lock);
      --waiting;
      continue;
    }
    // Checked under the lock after the wait, so a task submitted while this thread timed out keeps it.
    ++waiting;
    const auto woke = work_or_limits_changed.wait_until(lock, idle_since + keep_alive);
    --waiting;
    if (woke == std::cv_status::timeout &&
        queue.empty() && !stopping && threads > min_threads) {
      break;
    }
  }
  --idle;
  --threads;
  // A thread leaving because the max was lowered may have swallowed the wake-up meant for a new task.
  if (!queue.empty()) work_or_limits_changed.notify_one();
  // shutdown() detaches and forgets the threads that outlive its timeout; those are not in `workers`.
  if (auto self = workers.find(std::this_thread::get_id()); self != workers.end()) {
    finished.push_back(std::move(self->second));
    workers.erase(self);
  }
  worker_exited.notify_all();
}

ElasticThreadPool::ElasticThreadPool(std::string name, int min_threads, int max_threads,
                                     std::chrono::milliseconds keep_alive) {
  check_limits(min_threads, max_threads);
  state_ = std::make_shared<State>(std::move(name), min_threads, max_threads, keep_alive);
  std::lock_guard<std::mutex> lock(state_->mutex);
  for (int i = 0; i < min_threads; ++i) state_->start_worker_locked();
}

ElasticThreadPool::~ElasticThreadPool() { shutdown(kDestructorTimeout); }

bool ElasticThreadPool::submit(std::function<void()> task) {
  std::vector<std::function<void()>> tasks;
  tasks.push_back(std::move(task));
  return submit_all(std::move(tasks));
}

bool ElasticThreadPool::submit_all(std::vector<std::function<void()>> tasks) {
  for (const auto& task : tasks) {
    if (!task) throw std::invalid_argument("thread pool " + state_->name + ": empty task");
  }
  std::vector<std::thread> to_join;
  int wake = 0;
  {
    std::lock_guard<std::mutex> lock(state_->mutex);
    if (state_->stopping) return false;
    for (auto& task : tasks) {
      state_->queue.push_back(std::move(task));
      // Idle threads each take one queued task; a task beyond them gets a new thread.
      if (state_->queue.size() > static_cast<std::size_t>(state_->idle) &&
          state_->threads < state_->max_threads) {
        state_->start_worker_locked();
      }
    }
    // Wake only blocked workers, and no more than there are tasks: a busy worker finds the queue
    // itself, and a notify nobody waits for is a wasted system call on the hot path.
    wake = std::min(state_->waiting, static_cast<int>(state_->queue.size()));
    to_join = state_->take_finished_locked();
  }
  // Notified after unlocking, so a woken worker does not block at once on the mutex we hold.
  for (int i = 0; i < wake; ++i) state_->work_or_limits_changed.notify_one();
  for (auto& thread : to_join) thread.join();
  return true;
}

bool ElasticThreadPool::shutdown(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + clamp_wait(timeout);
  const bool called_from_worker = current_pool_state == state_.get();
  std::deque<std::function<void()>> not_started;
  std::vector<std::thread> to_join;
  bool all_ended = false;
  {
    std::unique_lock<std::mutex> lock(state_->mutex);
    if (!state_->stopping) {
      state_->stopping = true;
      state_->dropped += state_->queue.size();
      not_started.swap(state_->queue);
      state_->work_or_limits_changed.notify_all();
    }
    const int allowed_to_remain = called_from_worker ? 1 : 0;
    all_ended = state_->worker_exited.wait_until(
        lock, deadline, [this, allowed_to_remain] { return state_->threads <= allowed_to_remain; });
    to_join = state_->take_finished_locked();
    // The rest are stuck in a task (or are this thread): they keep the state alive and end on their own.
    for (auto& [id, thread] : state_->workers) thread.detach();
    state_->workers.clear();
  }
  // Destroyed outside the lock: what the dropped tasks captured may call back into the pool.
  not_started.clear();
  for (auto& thread : to_join) thread.join();
  if (!all_ended) {
    LOG_WARN("thread pool " << state_->name << ": " << threads()
                            << " thread(s) still running a task after the shutdown timeout; detached");
  }
  return all_ended;
}

int ElasticThreadPool::threads() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->threads;
}

int ElasticThreadPool::peak_threads() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->peak_threads;
}

int ElasticThreadPool::busy() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->busy;
}

std::size_t ElasticThreadPool::queued() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->queue.size();
}

std::uint64_t ElasticThreadPool::completed() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->completed;
}

std::size_t ElasticThreadPool::dropped() const {
  std::lock_guard<std::mutex> lock(state_->mutex);
  return state_->dropped;
}

const std::string& ElasticThreadPool::name() const noexcept { return state_->name; }

}  // namespace rocketmq::common
