#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>

#include "common/scheduler.h"
#include "support/test_env.h"

using namespace std::chrono_literals;
using rocketmq::common::Scheduler;
using rocketmq::test::wait_until;

TEST_CASE("scheduler runs delayed and periodic tasks in due order, and cancels them", "[scheduler]") {
  Scheduler scheduler("test");
  std::atomic<int> once{0};
  std::atomic<int> periodic{0};
  std::atomic<int> cancelled{0};
  scheduler.schedule(20ms, [&] { ++once; });
  const auto every = scheduler.schedule_every(0ms, 5ms, [&] { ++periodic; });
  const auto never = scheduler.schedule(60000ms, [&] { ++cancelled; });
  scheduler.cancel(never);
  REQUIRE(wait_until([&] { return once == 1 && periodic >= 3; }, 5s));
  scheduler.cancel(every);
  const int seen = periodic;
  scheduler.post([&] { ++once; });
  REQUIRE(wait_until([&] { return once == 2; }, 5s));
  CHECK(periodic <= seen + 1);  // at most the run that was in progress
  CHECK(cancelled == 0);
}

TEST_CASE("a task that throws does not stop the scheduler", "[scheduler]") {
  Scheduler scheduler("test");
  std::atomic<int> after{0};
  scheduler.post([] { throw std::runtime_error("boom"); });
  scheduler.post([&] { ++after; });
  CHECK(wait_until([&] { return after == 1; }, 5s));
}

TEST_CASE("a scheduler may be destroyed by one of its own tasks", "[scheduler]") {
  // The last owner of a client instance can let go on the scheduler thread: that must neither
  // deadlock (joining itself) nor terminate (destroying a joinable thread).
  auto owner = std::make_shared<std::unique_ptr<Scheduler>>(std::make_unique<Scheduler>("self"));
  std::atomic<bool> done{false};
  (*owner)->post([owner, &done] {
    owner->reset();
    done = true;
  });
  REQUIRE(wait_until([&] { return done.load(); }, 5s));
  owner.reset();
  SUCCEED("destroyed from its own thread");
}

TEST_CASE("shutdown is idempotent and drops pending tasks", "[scheduler]") {
  Scheduler scheduler("test");
  std::atomic<int> ran{0};
  scheduler.schedule(60000ms, [&] { ++ran; });
  scheduler.shutdown();
  scheduler.shutdown();
  CHECK(scheduler.post([&] { ++ran; }) == 0);
  CHECK(ran == 0);
}
