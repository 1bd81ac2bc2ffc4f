// Acceptance tests of issue 13 against a cluster of their own, which they damage: brokers killed
// with SIGKILL and relaunched on their stores, a master lost while its slave runs, broker-a's
// traffic black-holed by a fault proxy, a name server list with one of them down. Each prints
// the figure it measures ("[fault] ..." lines on stderr).
//
// The cluster (test/cluster/cluster.sh with RMQ_SLAVES=1 RMQ_NAMESRV_COUNT=2): name servers
// 127.0.0.1:23876 and :23877; broker-a 127.0.0.1:24911 (slave :25911), broker-b :26911 (slave
// :27911): below Linux's ephemeral port range (32768-60999), so no client connection of the
// machine can hold one of them when a broker is relaunched. broker-a's master announces
// 127.0.0.2:24911, where this process runs a FaultProxy to
// it, so every client reaches broker-a through the proxy. Started once per process, on first use;
// each test first relaunches whatever an earlier one left killed.
//
// ROCKETMQ_FAULT_BLACKHOLE_SECONDS (default 20, the issue asks 60): how long the black hole lasts.

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

#include "client/remoting_mq_client_api.h"
#include "remoting/remoting_client.h"
#include "support/fault_proxy.h"
#include "support/test_env.h"

using namespace std::chrono_literals;
using rocketmq::test::wait_until;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kNamesrvPort = 23876;
constexpr int kBrokerAPort = 24911;
constexpr int kBrokerBPort = 26911;
const std::string kNamesrvList = "127.0.0.1:23876;127.0.0.1:23877";
const std::string kBrokerAProxied = "127.0.0.2:24911";
const std::string kSlaveA = "127.0.0.1:25911";
const std::vector<std::string> kProcesses = {"ns", "ns2", "broker-a", "broker-b", "broker-a-s", "broker-b-s"};

struct FaultCluster {
  // The proxy first: broker-a is unreachable without it.
  rocketmq::test::FaultProxy proxy{"127.0.0.2", kBrokerAPort, "127.0.0.1:" + std::to_string(kBrokerAPort)};
  // Brokers register every 10 s: a relaunched name server knows them again within that.
  rocketmq::test::ScopedCluster cluster{"fault", kNamesrvPort, kBrokerAPort, kBrokerBPort,
                                        "RMQ_SLAVES=1 RMQ_NAMESRV_COUNT=2 RMQ_BROKER_A_IP1=127.0.0.2 "
                                        "RMQ_SLAVE_A_PORT=25911 RMQ_SLAVE_B_PORT=27911 RMQ_REGISTER_PERIOD_MS=10000"};
};

FaultCluster& fault_cluster() {
  static FaultCluster instance;
  instance.proxy.pass();
  for (const auto& process : kProcesses) {
    if (!instance.cluster.running(process)) {
      std::fprintf(stderr, "[fault] relaunching %s, left killed by an earlier test\n", process.c_str());
      instance.cluster.launch(process);
    }
  }
  return instance;
}

double seconds(Clock::duration duration) { return std::chrono::duration<double>(duration).count(); }

// Admin requests of the tests themselves, over their own transport.
struct Admin {
  rocketmq::remoting::RemotingClient remoting;
  rocketmq::client::RemotingMQClientAPI api{remoting, kNamesrvList, 5s};

  // Creates `topic` with `queues` queues on both masters and waits until the name servers route it.
  void create_topic(const std::string& topic, int queues) {
    rocketmq::protocol::CreateTopicRequestHeader header;
    header.topic = topic;
    header.read_queue_nums = queues;
    header.write_queue_nums = queues;
    for (const auto& address : {kBrokerAProxied, "127.0.0.1:" + std::to_string(kBrokerBPort)}) {
      api.create_topic(address, header);
    }
    // The slaves too: they copy topic configs from their masters only periodically, and on this
    // loaded machine some took over a minute; until then a pull sent to one fails with
    // TOPIC_NOT_EXIST although it holds the messages.
    for (const auto& address : {kSlaveA, "127.0.0.1:" + std::to_string(kBrokerBPort + 1000)}) {
      try {
        api.create_topic(address, header);
      } catch (const std::exception& error) {
        std::fprintf(stderr, "[fault] creating %s on slave %s: %s\n", topic.c_str(), address.c_str(), error.what());
      }
    }
    REQUIRE(wait_until(
        [&] {
          try {
            return api.get_topic_route(topic).queue_datas.size() == 2;
          } catch (const std::exception&) {
            return false;
          }
        },
        60s, 200ms));
  }

  std::int64_t max_offset(const std::string& address, const std::string& topic, int queue) {
    return api.get_max_offset(address, topic, queue);
  }
};

// Records deliveries with their time and broker.
class Recorder : public rocketmq::MessageListenerConcurrently {
 public:
  explicit Recorder(std::chrono::milliseconds per_message = 0ms) : per_message_(per_message) {}

  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>& messages) override {
    if (per_message_.count() > 0) std::this_thread::sleep_for(per_message_ * messages.size());
    const auto now = Clock::now();
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& message : messages) {
      ++deliveries_[message.get_msg_id()];
      events_.push_back(Event{now, message.get_broker_name()});
    }
    return rocketmq::ConsumeResult::Success;
  }

  struct Event {
    Clock::time_point at;
    std::string broker;
  };

  std::size_t distinct() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return deliveries_.size();
  }
  long duplicates() const {
    std::lock_guard<std::mutex> lock(mutex_);
    long extra = 0;
    for (const auto& [id, count] : deliveries_) extra += count - 1;
    return extra;
  }
  // Ids of `expected` never delivered.
  std::vector<std::string> missing(const std::set<std::string>& expected) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> result;
    for (const auto& id : expected) {
      if (deliveries_.count(id) == 0) result.push_back(id);
    }
    return result;
  }
  std::optional<Clock::time_point> first_from(const std::string& broker, Clock::time_point after) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& event : events_) {
      if (event.broker == broker && event.at >= after) return event.at;
    }
    return std::nullopt;
  }
  // The longest pause between deliveries from `broker` within [after, until], its ends included.
  Clock::duration longest_gap(const std::string& broker, Clock::time_point after, Clock::time_point until) const {
    std::lock_guard<std::mutex> lock(mutex_);
    Clock::time_point previous = after;
    Clock::duration longest{0};
    for (const auto& event : events_) {
      if (event.broker != broker || event.at < after || event.at > until) continue;
      longest = std::max(longest, event.at - previous);
      previous = event.at;
    }
    return std::max(longest, until - previous);
  }
  std::optional<Clock::time_point> last_delivery() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (events_.empty()) return std::nullopt;
    return events_.back().at;
  }

 private:
  const std::chrono::milliseconds per_message_;
  mutable std::mutex mutex_;
  std::map<std::string, int> deliveries_;
  std::vector<Event> events_;
};

rocketmq::ConsumerOption consumer_option(const std::string& group, const std::string& name_servers = kNamesrvList) {
  rocketmq::ConsumerOption option;
  option.set_name_server_addr(name_servers);
  option.set_group_name(group);
  option.set_instance_name(rocketmq::test::unique_name("fault"));
  option.set_consume_from_where(rocketmq::ConsumeFromWhere::ConsumeFromFirstOffset);
  option.set_persist_offset_interval(1s);
  option.set_rebalance_interval(5s);
  option.set_request_timeout(5s);
  return option;
}

rocketmq::ProducerOption producer_option(const std::string& name_servers = kNamesrvList) {
  rocketmq::ProducerOption option;
  option.set_name_server_addr(name_servers);
  option.set_group_name(rocketmq::test::unique_name("fault_producer"));
  option.set_instance_name(rocketmq::test::unique_name("fault"));
  option.set_send_timeout(3s);
  option.set_request_timeout(5s);
  return option;
}

// Sync sends at a steady rate from a few threads until stopped; keeps what succeeded.
class PacedProducer {
 public:
  PacedProducer(rocketmq::Producer& producer, std::string topic, int per_second, int threads = 4)
      : producer_(producer), topic_(std::move(topic)) {
    const auto period = std::chrono::microseconds(1000000L * threads / per_second);
    for (int t = 0; t < threads; ++t) {
      threads_.emplace_back([this, period, t] {
        auto next = Clock::now();
        for (int i = 0; !stop_; ++i) {
          next += period;
          std::this_thread::sleep_until(next);
          if (Clock::now() - next > 1s) next = Clock::now();  // behind after a stall: no burst
          const auto started = Clock::now();
          try {
            auto result = producer_.send(rocketmq::Message(topic_, "m" + std::to_string(t) + "-" + std::to_string(i)));
            std::lock_guard<std::mutex> lock(mutex_);
            sent_.insert(result.get_msg_id());
            last_ok_by_broker_[result.get_message_queue().broker_name] = Clock::now();
          } catch (const std::exception&) {
            ++failed_;
          }
          const auto took = Clock::now() - started;
          std::lock_guard<std::mutex> lock(mutex_);
          longest_send_ = std::max(longest_send_, took);
        }
      });
    }
  }
  ~PacedProducer() { stop(); }

  void stop() {
    if (stop_.exchange(true)) return;
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    stopped_ = Clock::now();
  }
  // Successful sends per second from start to stop().
  double rate() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return static_cast<double>(sent_.size()) / std::max(0.001, seconds(stopped_ - started_));
  }
  std::set<std::string> sent() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return sent_;
  }
  long failed() const { return failed_.load(); }
  Clock::duration longest_send() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return longest_send_;
  }
  std::optional<Clock::time_point> last_ok(const std::string& broker) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = last_ok_by_broker_.find(broker);
    if (it == last_ok_by_broker_.end()) return std::nullopt;
    return it->second;
  }

 private:
  rocketmq::Producer& producer_;
  const std::string topic_;
  std::atomic<bool> stop_{false};
  std::atomic<long> failed_{0};
  const Clock::time_point started_ = Clock::now();
  Clock::time_point stopped_ = started_;
  mutable std::mutex mutex_;
  std::set<std::string> sent_;
  std::map<std::string, Clock::time_point> last_ok_by_broker_;
  Clock::duration longest_send_{0};
  std::vector<std::thread> threads_;
};

}  // namespace

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

  PacedProducer load(producer, topic, 1000, 8);
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
  const auto sent = load.sent();
  REQUIRE(wait_until([&] { return recorder.missing(sent).empty(); }, 120s, 200ms));
  const auto first_after = recorder.first_from("broker-b", restarted);
  const double resume_seconds = first_after ? seconds(*first_after - restarted) : -1;
  std::fprintf(stderr,
               "[fault] broker-b kill: %zu sends succeeded (%.0f msg/s), %ld failed; %zu distinct consumed, "
               "%ld duplicates; broker-b down %.1f s (relaunch to boot %.1f s); consumption from broker-b resumed "
               "%.1f s after its boot\n",
               sent.size(), load.rate(), load.failed(), recorder.distinct(), recorder.duplicates(),
               seconds(restarted - killed), seconds(restarted - relaunching), resume_seconds);
  CHECK(resumed);
  CHECK(recorder.missing(sent).empty());
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
  // One route refresh (30 s) plus a pull retry (3 s), with a margin for a loaded machine.
  CHECK(gap < 40s);
  consumer.shutdown();
}

TEST_CASE("broker-a black-holed by the fault proxy: sends and pulls recover within one request timeout",
          "[fault][black-hole]") {
  auto& fault = fault_cluster();
  Admin admin;
  const auto topic = rocketmq::test::unique_name("fault_hole");
  admin.create_topic(topic, 4);
  const char* configured = std::getenv("ROCKETMQ_FAULT_BLACKHOLE_SECONDS");
  const auto hole = std::chrono::seconds(configured ? std::atoi(configured) : 20);

  auto owned = std::make_unique<Recorder>();
  Recorder& recorder = *owned;  // owned by the consumer, which outlives every use here
  rocketmq::PushConsumer consumer(consumer_option(rocketmq::test::unique_name("fault_hole_group")));
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::move(owned));
  consumer.start();
  rocketmq::Producer producer(producer_option());
  producer.start();
  PacedProducer load(producer, topic, 200);
  REQUIRE(wait_until([&] { return recorder.first_from("broker-a", Clock::now() - 1h).has_value(); }, 30s));

  fault.proxy.black_hole();
  const auto hole_start = Clock::now();
  std::this_thread::sleep_for(hole);
  fault.proxy.pass();
  const auto passed = Clock::now();
  const bool sends_back = wait_until([&] { auto t = load.last_ok("broker-a"); return t && *t > passed; }, 60s, 50ms);
  const bool pulls_back = wait_until([&] { return recorder.first_from("broker-a", passed).has_value(); }, 90s, 50ms);
  const auto send_recovery = seconds(*load.last_ok("broker-a") - passed);
  load.stop();
  const auto sent = load.sent();
  REQUIRE(wait_until([&] { return recorder.missing(sent).empty(); }, 90s, 200ms));
  const auto first_pull = recorder.first_from("broker-a", passed);
  std::fprintf(stderr,
               "[fault] broker-a black-holed %.0f s: %zu sends succeeded, %ld failed, longest send() %.1f s; "
               "after it passed again sends to broker-a recovered in %.1f s, consumption from it in %.1f s; "
               "%zu distinct consumed, %ld duplicates\n",
               seconds(passed - hole_start), sent.size(), load.failed(), seconds(load.longest_send()), send_recovery,
               first_pull ? seconds(*first_pull - passed) : -1.0, recorder.distinct(), recorder.duplicates());
  CHECK(sends_back);
  CHECK(pulls_back);
  // Sends: their timeout (3 s) for the connection opened in the hole, plus the retry.
  CHECK(send_recovery < 8.0);
  // Pulls: the pull timeout (30 s) for a pull sent in the hole, plus the pull retry delay (3 s).
  CHECK((first_pull && *first_pull - passed < 36s));
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
          return first_only.get_topic_route(topic).queue_datas.size() == 2;
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

