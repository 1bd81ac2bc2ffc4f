#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/elastic_thread_pool.h"
#include "support/test_env.h"

using namespace std::chrono_literals;
using rocketmq::common::ElasticThreadPool;
using rocketmq::test::wait_until;

namespace {

// Holds tasks until released; shared by pointer so a task detached from a destroyed pool can still
// reach it.
class Gate {
 public:
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    opened_.wait(lock, [this] { return open_; });
  }
  void open() {
    std::lock_guard<std::mutex> lock(mutex_);
    open_ = true;
    opened_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable opened_;
  bool open_ = false;
};

// Opens the gate when a test leaves early (a failed REQUIRE), so blocked tasks let the pool end.
struct OpenOnExit {
  std::shared_ptr<Gate> gate;
  ~OpenOnExit() { gate->open(); }
};

}  // namespace

TEST_CASE("ElasticThreadPool starts min threads and does not grow while threads are idle", "[pool]") {
  ElasticThreadPool pool("idle", 2, 8, 60s);
  CHECK(pool.threads() == 2);
  for (int i = 0; i < 20; ++i) {
    REQUIRE(pool.submit([] {}));
    const auto expected = static_cast<std::uint64_t>(i + 1);
    REQUIRE(wait_until([&] { return pool.completed() == expected; }, 5000ms, 1ms));
  }
  CHECK(pool.peak_threads() == 2);
  CHECK(pool.threads() == 2);
}

TEST_CASE("ElasticThreadPool grows from min to max under a backlog of blocking tasks", "[pool]") {
  ElasticThreadPool pool("grow", 2, 16, 60s);
  auto gate = std::make_shared<Gate>();
  OpenOnExit open_on_exit{gate};
  constexpr int kTasks = 40;
  for (int i = 0; i < kTasks; ++i) REQUIRE(pool.submit([gate] { gate->wait(); }));

  REQUIRE(wait_until([&] { return pool.busy() == 16; }, 10000ms, 5ms));
  CHECK(pool.threads() == 16);
  CHECK(pool.peak_threads() == 16);
  CHECK(pool.queued() == kTasks - 16);

  gate->open();
  REQUIRE(wait_until([&] { return pool.completed() == kTasks; }, 10000ms, 5ms));
  CHECK(pool.peak_threads() == 16);  // never above max
  CHECK(pool.threads() == 16);       // keep_alive of 60 s has not passed
  CHECK(pool.queued() == 0);
}

TEST_CASE("ElasticThreadPool shrinks back to min after keep_alive", "[pool]") {
  ElasticThreadPool pool("shrink", 2, 8, 100ms);
  auto gate = std::make_shared<Gate>();
  OpenOnExit open_on_exit{gate};
  for (int i = 0; i < 8; ++i) REQUIRE(pool.submit([gate] { gate->wait(); }));
  REQUIRE(wait_until([&] { return pool.busy() == 8; }, 10000ms, 5ms));
  CHECK(pool.threads() == 8);

  gate->open();
  REQUIRE(wait_until([&] { return pool.threads() == 2; }, 10000ms, 10ms));
  CHECK(pool.completed() == 8);
  CHECK(pool.peak_threads() == 8);
  // The min threads stay however long they idle.
  CHECK_FALSE(wait_until([&] { return pool.threads() != 2; }, 400ms, 10ms));

  // And the shrunk pool grows again.
  auto second_gate = std::make_shared<Gate>();
  OpenOnExit open_second_on_exit{second_gate};
  for (int i = 0; i < 5; ++i) REQUIRE(pool.submit([second_gate] { second_gate->wait(); }));
  REQUIRE(wait_until([&] { return pool.busy() == 5; }, 10000ms, 5ms));
  CHECK(pool.threads() == 5);
  second_gate->open();
  REQUIRE(wait_until([&] { return pool.threads() == 2; }, 10000ms, 10ms));
}

TEST_CASE("ElasticThreadPool runs every task exactly once under concurrent submitters", "[pool]") {
  constexpr int kTasks = 100000;
  constexpr int kSubmitters = 4;
  ElasticThreadPool pool("many", 2, 8, 100ms);
  std::vector<std::atomic<int>> runs(kTasks);
  std::atomic<int> rejected{0};
  std::vector<std::thread> submitters;
  for (int submitter = 0; submitter < kSubmitters; ++submitter) {
    submitters.emplace_back([&, submitter] {
      for (int i = submitter; i < kTasks; i += kSubmitters) {
        if (!pool.submit([&runs, i] { runs[i].fetch_add(1, std::memory_order_relaxed); })) {
          rejected.fetch_add(1);
        }
      }
    });
  }
  for (auto& thread : submitters) thread.join();
  CHECK(rejected.load() == 0);
  REQUIRE(wait_until([&] { return pool.completed() == kTasks; }, 120000ms, 10ms));
  int wrong = 0;
  for (const auto& count : runs) wrong += count.load() == 1 ? 0 : 1;
  CHECK(wrong == 0);
  CHECK(pool.peak_threads() <= 8);
  CHECK(pool.shutdown(5000ms));
  CHECK(pool.dropped() == 0);
}

TEST_CASE("ElasticThreadPool shutdown waits for running tasks and drops queued ones", "[pool]") {
  ElasticThreadPool pool("drain", 2, 2, 60s);
  auto gate = std::make_shared<Gate>();
  OpenOnExit open_on_exit{gate};
  std::atomic<int> finished{0};
  std::atomic<int> queued_ran{0};
  for (int i = 0; i < 2; ++i) {
    REQUIRE(pool.submit([gate, &finished] {
      gate->wait();
      finished.fetch_add(1);
    }));
  }
  for (int i = 0; i < 5; ++i) REQUIRE(pool.submit([&queued_ran] { queued_ran.fetch_add(1); }));
  REQUIRE(wait_until([&] { return pool.busy() == 2; }, 10000ms, 5ms));
  CHECK(pool.queued() == 5);

  auto shutdown_result = std::async(std::launch::async, [&pool] { return pool.shutdown(30000ms); });
  // The queue is dropped at once; the running tasks hold shutdown until the gate opens.
  REQUIRE(wait_until([&] { return pool.dropped() == 5; }, 10000ms, 5ms));
  CHECK(pool.queued() == 0);
  CHECK(pool.busy() == 2);
  CHECK(shutdown_result.wait_for(0ms) == std::future_status::timeout);
  CHECK_FALSE(pool.submit([] {}));

  gate->open();
  REQUIRE(shutdown_result.wait_for(30000ms) == std::future_status::ready);
  CHECK(shutdown_result.get());
  CHECK(finished.load() == 2);  // both finished before shutdown returned
  CHECK(queued_ran.load() == 0);
  CHECK(pool.completed() == 2);
  CHECK(pool.threads() == 0);
  CHECK(pool.dropped() == 5);
}

TEST_CASE("ElasticThreadPool detaches a task stuck past the shutdown timeout, then dies safely", "[pool]") {
  auto gate = std::make_shared<Gate>();
  OpenOnExit open_on_exit{gate};
  auto stuck_task_finished = std::make_shared<std::atomic<bool>>(false);
  {
    ElasticThreadPool pool("stuck", 1, 1, 60s);
    REQUIRE(pool.submit([gate, stuck_task_finished] {
      gate->wait();
      stuck_task_finished->store(true);
    }));
    REQUIRE(wait_until([&] { return pool.busy() == 1; }, 10000ms, 5ms));
    const auto started = std::chrono::steady_clock::now();
    CHECK_FALSE(pool.shutdown(50ms));
    CHECK(std::chrono::steady_clock::now() - started >= 50ms);
    CHECK(pool.threads() == 1);
    CHECK_FALSE(pool.submit([] {}));
    CHECK_FALSE(pool.shutdown(0ms));  // idempotent, still stuck
  }  // destroyed while its thread is still inside the task
  CHECK_FALSE(stuck_task_finished->load());
  gate->open();
  CHECK(wait_until([&] { return stuck_task_finished->load(); }, 10000ms, 5ms));
}

TEST_CASE("ElasticThreadPool survives tasks that throw", "[pool]") {
  ElasticThreadPool pool("throwing", 1, 1, 60s);
  std::atomic<bool> ran_after{false};
  REQUIRE(pool.submit([] { throw std::runtime_error("expected by the test"); }));
  REQUIRE(pool.submit([] { throw 42; }));
  REQUIRE(pool.submit([&ran_after] { ran_after.store(true); }));
  REQUIRE(wait_until([&] { return pool.completed() == 3; }, 10000ms, 5ms));
  CHECK(ran_after.load());
  CHECK(pool.threads() == 1);
  CHECK(pool.peak_threads() == 1);  // the same thread ran all three
}

TEST_CASE("ElasticThreadPool rejects tasks after shutdown, and shutdown is idempotent", "[pool]") {
  ElasticThreadPool pool("closed", 2, 4, 60s);
  CHECK(pool.shutdown(5000ms));
  CHECK(pool.threads() == 0);
  CHECK_FALSE(pool.submit([] {}));
  CHECK(pool.shutdown(5000ms));
  CHECK(pool.shutdown(0ms));
  CHECK(pool.dropped() == 0);
}

TEST_CASE("ElasticThreadPool shutdown from inside a task does not deadlock", "[pool]") {
  ElasticThreadPool pool("self", 2, 4, 60s);
  std::promise<bool> shutdown_result;
  auto result = shutdown_result.get_future();
  REQUIRE(pool.submit([&pool, &shutdown_result] { shutdown_result.set_value(pool.shutdown(5000ms)); }));
  REQUIRE(result.wait_for(10000ms) == std::future_status::ready);
  CHECK(result.get());  // every other thread ended; the calling one is not waited for
  CHECK_FALSE(pool.submit([] {}));
  CHECK(wait_until([&] { return pool.threads() == 0; }, 10000ms, 5ms));
}

TEST_CASE("ElasticThreadPool refuses impossible limits", "[pool]") {
  CHECK_THROWS_AS(ElasticThreadPool("bad", 0, 0), std::invalid_argument);
  CHECK_THROWS_AS(ElasticThreadPool("bad", 3, 2), std::invalid_argument);
}
