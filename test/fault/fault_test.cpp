// Acceptance tests of issue 13 against a cluster of their own, which they damage: brokers killed
// with SIGKILL and relaunched on their stores, a master lost while its slave runs, broker-a's
// traffic black-holed by a fault proxy, a name server list with one of them down. Each prints
// the figure it measures ("[fault] ..." lines on stderr).
//
// The cluster and the shared tools: fault_cluster.h.
//
// ROCKETMQ_FAULT_BLACKHOLE_SECONDS (default 60, as the issue asks): how long the black hole lasts.

#include <catch2/catch.hpp>
#include <rocketmq/rocketmq.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fault/fault_cluster.h"
#include "support/test_env.h"

using namespace std::chrono_literals;
using rocketmq::test::wait_until;

using namespace rocketmq::test::fault;

TEST_CASE("broker-b SIGKILLed under load and relaunched on its store after 10 s: nothing sent is lost",
          "[fault][broker-kill]") {
  auto& fault = fault_cluster();
  Admin admin;
  const auto topic = rocketmq::test::unique_name("fault_kill");
  admin.create_topic(topic, 4);

  auto owned = std::make_unique<Recorder>();
  Recorder& recorder = *owned;  // owned by the consumer, which outlives every use here
  rocketmq::PushConsumer consumer(consumer_option(rocketmq::test::unique_name("fault_kill_group")));
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::move(owned));
  consumer.start();
  rocketmq::Producer producer(producer_option());
  producer.start();

  // 32 threads of sync sends: while broker-b's JVM boots the other brokers answer in tens of ms on
  // this 2-core machine, but beside the rest of the suite a send took 130 ms in one CI run, where 16
  // threads of single sends kept 122-269 msg/s and 32 threads 303-452. The cost there is per
  // request (batches of 5 made 444 msg/s, about 90 requests a second, in a fresh run), so each send
  // is a batch of 10 (100 requests a second, one every 320 ms per thread).
  // Async sends at 1,000 msg/s were tried: the brokers fell behind, thousands of sends timed out
  // and were retried, and fewer than 100 msg/s succeeded.
  constexpr int kBatch = 10;
  PacedProducer load(producer, topic, 1000, 32, kBatch);
  const auto load_started = Clock::now();
  REQUIRE(wait_until([&] { return recorder.first_from("broker-b", Clock::now() - 1h).has_value(); }, 30s));
  std::this_thread::sleep_for(3s);
  fault.cluster.kill("broker-b");
  const auto killed = Clock::now();
  std::this_thread::sleep_until(killed + 10s);
  const auto relaunching = Clock::now();
  fault.cluster.launch("broker-b");
  const auto restarted = Clock::now();
  // Consumption from broker-b resumes: a delivery from it after its restart.
  const bool resumed = wait_until([&] { return recorder.first_from("broker-b", restarted).has_value(); }, 120s, 100ms);
  std::this_thread::sleep_for(2s);
  load.stop();
  const auto load_stopped = Clock::now();
  const auto sent = load.sent();
  const bool all = wait_until([&] { return recorder.missing(sent).empty(); }, 120s, 200ms);
  const auto first_after = recorder.first_from("broker-b", restarted);
  const double resume_seconds = first_after ? seconds(*first_after - restarted) : -1;
  const auto missing = recorder.missing(sent);
  std::fprintf(stderr,
               "[fault] broker-b kill: %zu messages sent (%.0f msg/s, batches of %d), %ld sends failed; %zu distinct consumed, "
               "%zu missing (first: %s), %ld duplicates; broker-b down %.1f s (relaunch to boot %.1f s); "
               "consumption from broker-b resumed %.1f s after its boot; sends per second (1,000 offered): "
               "%.0f before the kill, %.0f while broker-b was down, %.0f while it booted, %.0f after\n",
               sent.size(), load.rate(), kBatch, load.failed(), recorder.distinct(), missing.size(),
               missing.empty() ? "-" : missing.front().c_str(), recorder.duplicates(), seconds(restarted - killed),
               seconds(restarted - relaunching), resume_seconds, load.rate_between(load_started, killed),
               load.rate_between(killed, relaunching), load.rate_between(relaunching, restarted),
               load.rate_between(restarted, load_stopped));
  CHECK(resumed);
  CHECK(all);
  // The client instance asks for the route every 2 s while broker-b's master is missing from it,
  // pulls retry every 3 s, and a pull held by broker-b's slave (read while the master was down)
  // returns within 8 s (3 s asked; the broker expires held pulls at its checks, every 5 s): about
  // 10 s at most, 15 s with a margin for a loaded machine. It was up to 30 s (the periodic route
  // refresh) before the lost broker watch, and 17.1 s in one CI run with 15 s holds at slaves.
  CHECK((resume_seconds >= 0 && resume_seconds < 15.0));
  consumer.shutdown();
  producer.shutdown();
}

TEST_CASE("broker-a's master killed with its slave running: its queues are consumed from the slave",
          "[fault][slave-read]") {
  auto& fault = fault_cluster();
  Admin admin;
  const auto topic = rocketmq::test::unique_name("fault_slave");
  admin.create_topic(topic, 2);
  constexpr int kMessages = 2000;
  std::set<std::string> sent;
  {
    rocketmq::Producer producer(producer_option());
    producer.start();
    for (int i = 0; i < kMessages; ++i) {
      sent.insert(producer.send(rocketmq::Message(topic, "s" + std::to_string(i))).get_msg_id());
    }
    producer.shutdown();
  }
  // The slave holds all of broker-a's messages before its master goes.
  REQUIRE(wait_until(
      [&] {
        for (int queue = 0; queue < 2; ++queue) {
          if (admin.max_offset(kSlaveA, topic, queue) != admin.max_offset(kBrokerAProxied, topic, queue)) return false;
        }
        return true;
      },
      30s, 200ms));

  // A slow consumer with a small cache: most of broker-a's backlog is still on the broker when
  // its master dies.
  auto owned = std::make_unique<Recorder>(2ms);
  Recorder& recorder = *owned;  // owned by the consumer, which outlives every use here
  auto option = consumer_option(rocketmq::test::unique_name("fault_slave_group"));
  option.set_process_queue_size(16);
  option.set_pull_batch_size(8);
  option.set_consume_batch_size(1);
  option.set_consume_thread_min(1);
  option.set_consume_thread_max(1);
  rocketmq::PushConsumer consumer(option);
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::move(owned));
  consumer.start();
  REQUIRE(wait_until([&] { return recorder.first_from("broker-a", Clock::now() - 1h).has_value(); }, 30s));
  std::this_thread::sleep_for(500ms);
  fault.cluster.kill("broker-a");
  const auto killed = Clock::now();
  const std::size_t consumed_at_kill = recorder.distinct();
  const bool all = wait_until([&] { return recorder.missing(sent).empty(); }, 120s, 200ms);
  const auto gap = recorder.longest_gap("broker-a", killed, all ? *recorder.last_delivery() : Clock::now());
  std::fprintf(stderr,
               "[fault] master of broker-a killed with %zu of %d consumed: %zu distinct consumed in the end "
               "(%ld duplicates), %.1f s after the kill; broker-a's queues paused at most %.1f s\n",
               consumed_at_kill, kMessages, recorder.distinct(), recorder.duplicates(), seconds(Clock::now() - killed),
               seconds(gap));
  CHECK(all);
  CHECK(consumed_at_kill < static_cast<std::size_t>(kMessages));
  // A pull that cannot reach the master asks for the route at once, which lists only the slave
  // now; then a pull retry (3 s). 10 s leaves a margin for a loaded machine; before the route was
  // asked for on a failed pull, this waited for the periodic refresh: 29 s.
  CHECK(gap < 10s);
  consumer.shutdown();
}

TEST_CASE("broker-a black-holed by the fault proxy: sends and pulls recover within one request timeout",
          "[fault][black-hole]") {
  auto& fault = fault_cluster();
  Admin admin;
  const auto topic = rocketmq::test::unique_name("fault_hole");
  admin.create_topic(topic, 4);
  const char* configured = std::getenv("ROCKETMQ_FAULT_BLACKHOLE_SECONDS");
  const auto hole = std::chrono::seconds(configured != nullptr && std::atoi(configured) > 0 ? std::atoi(configured) : 60);

  auto owned = std::make_unique<Recorder>();
  Recorder& recorder = *owned;  // owned by the consumer, which outlives every use here
  rocketmq::PushConsumer consumer(consumer_option(rocketmq::test::unique_name("fault_hole_group")));
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::move(owned));
  consumer.start();
  rocketmq::Producer producer(producer_option());
  producer.start();
  const auto load_started = Clock::now();
  PacedProducer load(producer, topic, 200);
  // Ready before the hole: a send to broker-a and a delivery from it both succeeded since the load
  // started, with a connection through the proxy open. Right after an earlier test relaunched
  // broker-a's master, a hole started at the first delivery could begin before any send reached
  // broker-a (sends_back then waits for a broker the producer has not used yet).
  const bool ready = wait_until(
      [&] {
        return load.last_ok("broker-a").has_value() && recorder.first_from("broker-a", load_started).has_value() &&
               fault.proxy.open_connections() > 0;
      },
      60s, 50ms);
  std::fprintf(stderr, "[fault] black hole: broker-a ready for sends and pulls %.1f s after the load started\n",
               seconds(Clock::now() - load_started));
  REQUIRE(ready);

  fault.proxy.black_hole();
  const auto hole_start = Clock::now();
  std::this_thread::sleep_for(hole);
  fault.proxy.pass();
  const auto passed = Clock::now();
  const bool sends_back = wait_until([&] { auto t = load.last_ok("broker-a"); return t && *t > passed; }, 60s, 50ms);
  // Taken now, within one poll step of the first send after the hole: read after the wait for
  // pulls below, last_ok() would be the latest send, up to a pull timeout later.
  const auto last_a = load.last_ok("broker-a");
  const bool pulls_back = wait_until([&] { return recorder.first_from("broker-a", passed).has_value(); }, 90s, 50ms);
  const auto send_recovery = sends_back && last_a ? seconds(*last_a - passed) : -1.0;
  load.stop();
  const auto sent = load.sent();
  const bool all = wait_until([&] { return recorder.missing(sent).empty(); }, 90s, 200ms);
  const auto first_pull = recorder.first_from("broker-a", passed);
  std::fprintf(stderr,
               "[fault] broker-a black-holed %.0f s: %zu sends succeeded, %ld failed, longest send() %.1f s; "
               "after it passed again sends to broker-a recovered in %.1f s, consumption from it in %.1f s; "
               "%zu distinct consumed, %zu missing, %ld duplicates\n",
               seconds(passed - hole_start), sent.size(), load.failed(), seconds(load.longest_send()), send_recovery,
               first_pull ? seconds(*first_pull - passed) : -1.0, recorder.distinct(), recorder.missing(sent).size(),
               recorder.duplicates());
  CHECK(all);
  CHECK(sends_back);
  CHECK(pulls_back);
  // Sends: within one request timeout of these clients (5 s). A failed send isolates broker-a for
  // 10 s, and the producer probes an isolated broker every second (800 ms timeout) and takes it back
  // as soon as it answers (a probe left on a connection of the hole closes it, the next one connects
  // afresh): 0.8-1.7 s in most runs. The worst case is an isolation that ran out just before the
  // hole passed: sends then went out on a connection of the hole, and nothing probes a broker that
  // is not isolated, so they fail at their send timeout (3 s), isolate broker-a again, and the next
  // probe takes it back: send timeout + probe interval + round trips, 4.2 s in one run. Rarer still,
  // a heartbeat to broker-a on the scheduler thread, stuck in the hole, delays the probes behind it
  // (not seen in these runs). Without the probe this was up to 13 s.
  CHECK((send_recovery >= 0 && send_recovery < 5.0));
  // Pulls: a consumer probes a broker holding its pulls on a connection silent for 1 s (every
  // 500 ms, 1 s timeout) and sends them again 100 ms after the probe closed it, so a pull stuck on a
  // connection of the hole fails at most 2.6 s after the hole passed; 4 s leaves a margin for a
  // loaded machine and is within the clients' request timeout here (5 s). Without the probe a
  // pull waited for a request timeout and a 3 s retry: up to 8 s.
  CHECK((first_pull && *first_pull - passed < 4s));
  // No send call blocked longer than its attempts' timeouts (3 attempts of 3 s) and a margin.
  CHECK(load.longest_send() < 12s);
  consumer.shutdown();
  producer.shutdown();
}

TEST_CASE("a name server list with the first one down works, and clients move over when the second one goes",
          "[fault][name-server]") {
  auto& fault = fault_cluster();
  Admin admin;
  const auto topic = rocketmq::test::unique_name("fault_ns");
  admin.create_topic(topic, 2);
  fault.cluster.kill("ns");

  auto owned = std::make_unique<Recorder>();
  Recorder& recorder = *owned;  // owned by the consumer, which outlives every use here
  rocketmq::PushConsumer consumer(consumer_option(rocketmq::test::unique_name("fault_ns_group")));
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::move(owned));
  const auto started = Clock::now();
  consumer.start();
  rocketmq::Producer producer(producer_option());
  producer.start();
  const double start_seconds = seconds(Clock::now() - started);
  std::set<std::string> sent;
  for (int i = 0; i < 100; ++i) {
    sent.insert(producer.send(rocketmq::Message(topic, "a" + std::to_string(i))).get_msg_id());
  }
  REQUIRE(wait_until([&] { return recorder.missing(sent).empty(); }, 60s));

  // The first comes back (and learns the brokers at their next registration); the second goes.
  fault.cluster.launch("ns");
  rocketmq::remoting::RemotingClient remoting;
  rocketmq::client::RemotingMQClientAPI first_only(remoting, "127.0.0.1:" + std::to_string(kNamesrvPort), 5s);
  REQUIRE(wait_until(
      [&] {
        try {
          return routed_with_masters(first_only.get_topic_route(topic));
        } catch (const std::exception&) {
          return false;
        }
      },
      60s, 500ms));
  fault.cluster.kill("ns2");
  // A topic the running producer has not seen makes it ask a name server now; a consumer started
  // now must find one too.
  const auto second_topic = rocketmq::test::unique_name("fault_ns2");
  admin.create_topic(second_topic, 2);
  auto second_owned = std::make_unique<Recorder>();
  Recorder& second_recorder = *second_owned;
  rocketmq::PushConsumer second_consumer(consumer_option(rocketmq::test::unique_name("fault_ns_group2")));
  second_consumer.subscribe(second_topic, "*");
  second_consumer.register_message_listener(std::move(second_owned));
  const auto moved = Clock::now();
  second_consumer.start();
  std::set<std::string> sent_second;
  for (int i = 0; i < 100; ++i) {
    sent_second.insert(producer.send(rocketmq::Message(second_topic, "b" + std::to_string(i))).get_msg_id());
  }
  for (int i = 0; i < 100; ++i) {
    sent.insert(producer.send(rocketmq::Message(topic, "c" + std::to_string(i))).get_msg_id());
  }
  const double move_seconds = seconds(Clock::now() - moved);
  const bool consumed = wait_until(
      [&] { return recorder.missing(sent).empty() && second_recorder.missing(sent_second).empty(); }, 60s);
  std::fprintf(stderr,
               "[fault] name servers: start with the first down took %.1f s; after the second went down, a new "
               "consumer's start and 200 sends (100 to a new topic) took %.1f s; %zu of %zu and %zu of %zu consumed\n",
               start_seconds, move_seconds, recorder.distinct(), sent.size(), second_recorder.distinct(),
               sent_second.size());
  CHECK(consumed);
  second_consumer.shutdown();
  consumer.shutdown();
  producer.shutdown();
  fault.cluster.launch("ns2");
}

