// ConsumeGate: the scopes of suspend/resume, parked work run by the resume that frees its queue,
// and suspend waiting for the listener calls in flight (with its deadline).

#include "consumer/consume_gate.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <thread>

using namespace std::chrono_literals;
using rocketmq::MessageQueue;
using rocketmq::consumer::ConsumeGate;

namespace {
const MessageQueue kA0{"A", "broker-a", 0};
const MessageQueue kA1{"A", "broker-a", 1};
const MessageQueue kB0{"B", "broker-a", 0};
}  // namespace

TEST_CASE("the gate pauses by consumer, topic and queue, and resumes parked work", "[gate]") {
  ConsumeGate gate;
  int ran = 0;
  const auto count = [&ran] { ++ran; };

  CHECK(gate.enter(kA0, count));
  gate.leave(kA0);
  CHECK_FALSE(gate.park_if_paused(kA0, count));

  SECTION("the whole consumer") {
    CHECK(gate.suspend_all(100ms));
    CHECK(gate.all_suspended());
    CHECK_FALSE(gate.enter(kA0, count));
    CHECK(gate.park_if_paused(kB0, count));
    CHECK(ran == 0);
    gate.resume_all();
    CHECK(ran == 2);
    CHECK_FALSE(gate.all_suspended());
    CHECK(gate.enter(kA0, count));
    gate.leave(kA0);
  }
  SECTION("one topic") {
    CHECK(gate.suspend_topic("A", 100ms));
    CHECK_FALSE(gate.enter(kA0, count));
    CHECK_FALSE(gate.enter(kA1, count));
    CHECK(gate.enter(kB0, count));
    gate.leave(kB0);
    CHECK(gate.paused_of({kA0, kA1, kB0}) == std::vector<MessageQueue>{kA0, kA1});
    gate.resume_topic("B");  // another topic: nothing changes
    CHECK(ran == 0);
    gate.resume_topic("A");
    CHECK(ran == 2);
  }
  SECTION("some queues, lifted by resume(topic) too") {
    CHECK(gate.suspend_queues({kA1}, 100ms));
    CHECK(gate.enter(kA0, count));
    gate.leave(kA0);
    CHECK_FALSE(gate.enter(kA1, count));
    gate.resume_topic("A");
    CHECK(ran == 1);
    CHECK(gate.paused_of({kA0, kA1}).empty());
  }
  SECTION("scopes are independent: a queue stays paused while any scope covers it") {
    CHECK(gate.suspend_all(100ms));
    CHECK(gate.suspend_queues({kA0}, 100ms));
    CHECK(gate.park_if_paused(kA0, count));
    gate.resume_queues({kA0});
    CHECK(ran == 0);  // still paused by suspend_all
    gate.resume_all();
    CHECK(ran == 1);
  }
  SECTION("close drops parked work without running it") {
    CHECK(gate.suspend_all(100ms));
    CHECK_FALSE(gate.enter(kA0, count));
    gate.close();
    gate.resume_all();
    CHECK(ran == 0);
  }
}

TEST_CASE("suspend waits for the calls in flight on the queues it pauses, up to its deadline", "[gate]") {
  ConsumeGate gate;
  REQUIRE(gate.enter(kA0, [] {}));

  SECTION("a call on another queue does not hold suspend(queues)") {
    CHECK(gate.suspend_queues({kA1}, 50ms));
  }
  SECTION("the call returns: suspend returns then") {
    std::atomic<bool> left{false};
    std::thread call([&] {
      std::this_thread::sleep_for(100ms);
      left = true;
      gate.leave(kA0);
    });
    CHECK(gate.suspend_topic("A", 5s));
    CHECK(left.load());
    call.join();
  }
  SECTION("a stuck call: suspend gives up at its deadline") {
    const auto started = std::chrono::steady_clock::now();
    CHECK_FALSE(gate.suspend_all(200ms));
    CHECK(std::chrono::steady_clock::now() - started >= 200ms);
    gate.leave(kA0);
  }
}
