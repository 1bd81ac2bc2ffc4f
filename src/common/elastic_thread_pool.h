#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace rocketmq::common {

// The consume pool of a push consumer: between `min_threads` and `max_threads` threads share one
// unbounded FIFO queue. Unlike Java's ThreadPoolExecutor with an unbounded queue (which never grows
// past its core size), the pool adds a thread whenever a task is queued that no idle thread will
// take, so a backlog really grows it up to `max_threads`; threads above `min_threads` that stay idle
// for `keep_alive` exit again. An exception from a task is logged and does not end its thread.
//
// Everything the worker threads touch lives in a shared state object they co-own, so a thread still
// stuck in a task after shutdown() timed out is detached and the pool can be destroyed safely.
class ElasticThreadPool {
 public:
  // Starts `min_threads` threads. Requires 0 <= min_threads <= max_threads and max_threads >= 1.
  ElasticThreadPool(std::string name, int min_threads, int max_threads,
                    std::chrono::milliseconds keep_alive = std::chrono::seconds(60));
  // shutdown(kDestructorTimeout): tasks still running after that are detached, not waited for.
  ~ElasticThreadPool();
  ElasticThreadPool(const ElasticThreadPool&) = delete;
  ElasticThreadPool& operator=(const ElasticThreadPool&) = delete;

  // Long enough to join tasks that are just finishing; owners that must drain call shutdown().
  static constexpr std::chrono::milliseconds kDestructorTimeout{100};

  // Queues `task` (must not be empty); false once shutdown has begun.
  bool submit(std::function<void()> task);
  // Queues several tasks under one lock acquisition (a pull result's batches).
  bool submit_all(std::vector<std::function<void()>> tasks);

  // Stops accepting tasks and drops the queued ones that have not started (see dropped()). Waits up
  // to `timeout` for running tasks to finish, joins the threads that ended and detaches the rest;
  // true if every thread ended in time. Idempotent: a later call waits again for the detached ones.
  // May be called from a pool task: that thread is then not waited for (it ends after its task).
  bool shutdown(std::chrono::milliseconds timeout);

  int threads() const;       // live threads, idle or busy
  int peak_threads() const;  // most live threads at any time
  int busy() const;          // threads running a task
  std::size_t queued() const;
  std::uint64_t completed() const;  // tasks that ran, including those that threw
  std::size_t dropped() const;      // queued tasks discarded by shutdown()
  const std::string& name() const noexcept;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace rocketmq::common
