// Lifecycle against the real cluster: start and shutdown in every order, destruction without
// shutdown, concurrent shutdowns, calls after shutdown, a listener that outlives the shutdown
// timeout, clients left started in static objects at process exit, and client ids (two consumers
// of one group in one process; a broadcasting consumer finding its offsets after a restart).
// They run under ASan+UBSan and TSan ("[lifecycle]"); a crash or a sanitizer report fails them.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "integration/consumer_support.h"

using namespace std::chrono_literals;
using namespace rocketmq::test;
using rocketmq::ClientError;
using rocketmq::ConsumeResult;
using rocketmq::Message;
using rocketmq::MessageExt;
using rocketmq::Producer;
using rocketmq::ProducerOption;
using rocketmq::PushConsumer;

namespace {

namespace fs = std::filesystem;

// Threads of this process, from /proc: what a client leaves running after it is gone.
int thread_count() {
  int count = 0;
  for ([[maybe_unused]] const auto& entry : fs::directory_iterator("/proc/self/task")) ++count;
  return count;
}

// Their names ("rmq-..." for the SDK's), to say which kind was left behind.
std::string thread_names() {
  std::map<std::string, int> names;
  for (const auto& entry : fs::directory_iterator("/proc/self/task")) {
    std::ifstream comm(entry.path() / "comm");
    std::string name;
    std::getline(comm, name);
    ++names[name];
  }
  std::string result;
  for (const auto& [name, count] : names) result += name + " x" + std::to_string(count) + " ";
  return result;
}

ProducerOption producer_option(const std::string& group) {
  ProducerOption option;
  option.set_name_server_addr(namesrv_addr());
  option.set_group_name(group);
  option.set_request_timeout(10s);
  option.set_send_timeout(10s);
  return option;
}

// Consumer options for these tests: the default instance name (the subject of some tests).
rocketmq::ConsumerOption default_named_option(const std::string& group) {
  auto option = consumer_option(group, "DEFAULT");
  option.set_consume_thread_min(1);
  option.set_consume_thread_max(4);
  return option;
}

// Shared between a listener and the test, so it outlives the listener (which the consumer owns).
struct ListenerLog {
  std::mutex mutex;
  std::condition_variable changed;
  std::set<std::string> ids;
  bool call_entered = false;
  bool call_returned = false;
  bool destroyed = false;
  bool destroyed_after_return = false;
  bool release = false;  // lets a blocked call return
};

class LoggingListener : public rocketmq::MessageListenerConcurrently {
 public:
  LoggingListener(std::shared_ptr<ListenerLog> log, bool block_first_call)
      : log_(std::move(log)), block_(block_first_call) {}
  ~LoggingListener() override {
    std::lock_guard<std::mutex> lock(log_->mutex);
    log_->destroyed = true;
    log_->destroyed_after_return = log_->call_returned || !log_->call_entered;
    log_->changed.notify_all();
  }
  ConsumeResult consume_message(const std::vector<MessageExt>& messages) override {
    std::unique_lock<std::mutex> lock(log_->mutex);
    const bool block = block_ && !log_->call_entered;
    log_->call_entered = true;
    log_->changed.notify_all();
    if (block) {
      log_->changed.wait(lock, [&] { return log_->release; });
      log_->call_returned = true;
      log_->changed.notify_all();
      return ConsumeResult::Success;
    }
    for (const auto& message : messages) log_->ids.insert(message.get_msg_id());
    log_->changed.notify_all();
    return ConsumeResult::Success;
  }

 private:
  std::shared_ptr<ListenerLog> log_;
  bool block_;
};

template <typename Predicate>
bool wait_log(ListenerLog& log, std::chrono::milliseconds deadline, Predicate predicate) {
  std::unique_lock<std::mutex> lock(log.mutex);
  return log.changed.wait_for(lock, deadline, [&] { return predicate(log); });
}

std::string helper_path() { return ROCKETMQ_LIFECYCLE_HELPER; }

// What one run of `lifecycle_helper broadcast-consume` printed.
struct BroadcastRun {
  int exit_code = -1;
  std::optional<std::string> client;
  std::set<std::string> ids;
};

BroadcastRun run_broadcast_helper(const std::string& command) {
  const auto result = run_command(command);
  BroadcastRun run;
  run.exit_code = result.exit_code;
  for (const auto& line : result.stdout_lines) {
    if (line.rfind("client ", 0) == 0) run.client = line.substr(7);
    if (line.rfind("msg ", 0) == 0) run.ids.insert(line.substr(4));
  }
  return run;
}

}  // namespace

TEST_CASE("100 start and shutdown cycles of producers and consumers in alternating orders lose nothing and leave "
          "no thread behind",
          "[lifecycle]") {
  const auto topic = unique_name("it_life_cycles");
  const auto group = unique_name("it_life_cycles_g");
  create_topic(topic, 2);
  // Sanitizer runtimes start a helper thread with the first thread of the process: not ours.
  std::thread([] {}).join();
  const int baseline = thread_count();
  auto log = std::make_shared<ListenerLog>();
  std::set<std::string> sent;
  constexpr int kCycles = 100;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    INFO("cycle " << cycle);
    auto producer = std::make_unique<Producer>(producer_option(group + "_p"));
    auto consumer = std::make_unique<PushConsumer>(default_named_option(group));
    consumer->subscribe(topic, "*");
    consumer->register_message_listener(std::make_unique<LoggingListener>(log, false));
    // Orders: producer or consumer first to start; to stop, shutdown() or plain destruction, in
    // either order.
    if (cycle % 2 == 0) {
      producer->start();
      consumer->start();
    } else {
      consumer->start();
      producer->start();
    }
    sent.insert(producer->send(Message(topic, "cycle-" + std::to_string(cycle))).msg_id);
    switch (cycle % 4) {
      case 0:
        producer->shutdown();
        consumer->shutdown();
        break;
      case 1:
        consumer->shutdown();
        producer->shutdown();
        break;
      case 2:
        consumer.reset();  // destroyed without shutdown()
        producer.reset();
        break;
      default:
        producer.reset();
        consumer.reset();
        break;
    }
  }
  // What the short-lived consumers did not get to is delivered to the next one: at least once.
  {
    PushConsumer last(default_named_option(group));
    last.subscribe(topic, "*");
    last.register_message_listener(std::make_unique<LoggingListener>(log, false));
    last.start();
    const bool all = wait_log(*log, 120s, [&](ListenerLog& state) {
      for (const auto& id : sent) {
        if (state.ids.count(id) == 0) return false;
      }
      return true;
    });
    std::size_t received = 0;
    {
      std::lock_guard<std::mutex> lock(log->mutex);
      for (const auto& id : sent) received += log->ids.count(id);
    }
    INFO("received " << received << " of " << sent.size());
    CHECK(all);
  }
  // Every instance, pool and transport of those 101 consumers and 100 producers is gone.
  INFO("threads before " << baseline << ", now " << thread_count() << ": " << thread_names());
  CHECK(wait_until([&] { return thread_count() <= baseline; }, 60s));
}

TEST_CASE("concurrent shutdown() from two threads: both return once the client is stopped, later calls get "
          "ClientError",
          "[lifecycle]") {
  const auto topic = unique_name("it_life_twice");
  const auto group = unique_name("it_life_twice_g");
  create_topic(topic, 2);
  auto log = std::make_shared<ListenerLog>();
  Producer producer(producer_option(group + "_p"));
  producer.start();
  PushConsumer consumer(default_named_option(group));
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::make_unique<LoggingListener>(log, false));
  consumer.start();
  const auto id = producer.send(Message(topic, "before shutdown")).msg_id;
  REQUIRE(wait_log(*log, 60s, [&](ListenerLog& state) { return state.ids.count(id) != 0; }));

  std::promise<void> go;
  auto ready = go.get_future().share();
  auto stop_both = [&] {
    ready.wait();
    consumer.shutdown();
    producer.shutdown();
  };
  auto first = std::async(std::launch::async, stop_both);
  auto second = std::async(std::launch::async, stop_both);
  go.set_value();
  REQUIRE(first.wait_for(60s) == std::future_status::ready);
  REQUIRE(second.wait_for(60s) == std::future_status::ready);
  first.get();
  second.get();

  try {
    producer.send(Message(topic, "after shutdown"));
    FAIL("send after shutdown did not throw");
  } catch (const ClientError& error) {
    CHECK_THAT(error.what(), Catch::Contains("shut down"));
  }
  CHECK_THROWS_AS(producer.start(), ClientError);
  CHECK_THROWS_AS(consumer.start(), ClientError);
  try {
    consumer.subscribe(topic, "*");
    FAIL("subscribe after shutdown did not throw");
  } catch (const ClientError& error) {
    CHECK_THAT(error.what(), Catch::Contains("shutdown"));
  }
  try {
    consumer.seek_to_offset(topic, 0, 0);
    FAIL("seek after shutdown did not throw");
  } catch (const ClientError& error) {
    CHECK_THAT(error.what(), Catch::Contains("started consumer"));
  }
  CHECK_THROWS_AS(consumer.register_message_listener(std::make_unique<LoggingListener>(log, false)), ClientError);
  CHECK(consumer.stats().owned_queues == 0);
  consumer.shutdown();  // idempotent
  producer.shutdown();
}

TEST_CASE("a listener call that outlives shutdown_timeout returns into live objects after the consumer is destroyed, "
          "and its message comes again",
          "[lifecycle]") {
  const auto topic = unique_name("it_life_stuck");
  const auto group = unique_name("it_life_stuck_g");
  create_topic(topic, 1);
  Producer producer(producer_option(group + "_p"));
  producer.start();
  const auto id = producer.send(Message(topic, "stuck")).msg_id;

  auto log = std::make_shared<ListenerLog>();
  auto option = default_named_option(group);
  option.set_shutdown_timeout(500ms);
  auto consumer = std::make_unique<PushConsumer>(option);
  consumer->subscribe(topic, "*");
  consumer->register_message_listener(std::make_unique<LoggingListener>(log, true));
  consumer->start();
  REQUIRE(wait_log(*log, 60s, [](ListenerLog& state) { return state.call_entered; }));

  const auto started = std::chrono::steady_clock::now();
  consumer->shutdown();
  consumer.reset();
  const auto took = std::chrono::steady_clock::now() - started;
  INFO("shutdown and destruction took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                                        << " ms");
  // shutdown() and ~PushConsumer wait no longer than shutdown_timeout (plus scheduling noise on a
  // loaded machine), never for the stuck call.
  CHECK(took < 500ms + 2s);
  {
    std::lock_guard<std::mutex> lock(log->mutex);
    CHECK_FALSE(log->destroyed);  // the call still runs in it
    log->release = true;
    log->changed.notify_all();
  }
  REQUIRE(wait_log(*log, 30s, [](ListenerLog& state) { return state.destroyed; }));
  {
    std::lock_guard<std::mutex> lock(log->mutex);
    CHECK(log->call_returned);
    CHECK(log->destroyed_after_return);
  }

  // Its result was dropped and nothing committed: the next consumer of the group gets it again.
  auto again = std::make_shared<ListenerLog>();
  PushConsumer next(default_named_option(group));
  next.subscribe(topic, "*");
  next.register_message_listener(std::make_unique<LoggingListener>(again, false));
  next.start();
  CHECK(wait_log(*again, 60s, [&](ListenerLog& state) { return state.ids.count(id) != 0; }));
}

TEST_CASE("two push consumers of one group in one process without set_instance_name split the queues",
          "[lifecycle]") {
  const auto topic = unique_name("it_life_pair");
  const auto group = unique_name("it_life_pair_g");
  create_topic(topic, 4);  // 4 queues on each of the two brokers
  auto log = std::make_shared<ListenerLog>();
  PushConsumer first(default_named_option(group));
  PushConsumer second(default_named_option(group));
  for (auto* consumer : {&first, &second}) {
    consumer->subscribe(topic, "*");
    consumer->register_message_listener(std::make_unique<LoggingListener>(log, false));
  }
  CHECK(first.client_id() != second.client_id());
  first.start();
  second.start();  // used to throw: "consumer group ... is already running in client ..."
  // The retry topic's queues count too; the topic's 8 are what must be split.
  const bool split = wait_until(
      [&] {
        const auto a = first.stats().owned_queues;
        const auto b = second.stats().owned_queues;
        return a > 0 && b > 0 && a + b >= 8;
      },
      90s);
  INFO("owned queues: " << first.stats().owned_queues << " and " << second.stats().owned_queues);
  CHECK(split);

  Producer producer(producer_option(group + "_p"));
  producer.start();
  std::set<std::string> sent;
  for (int i = 0; i < 40; ++i) sent.insert(producer.send(Message(topic, "pair-" + std::to_string(i))).msg_id);
  CHECK(wait_log(*log, 60s, [&](ListenerLog& state) {
    for (const auto& id : sent) {
      if (state.ids.count(id) == 0) return false;
    }
    return true;
  }));
}

TEST_CASE("a broadcasting consumer restarted with the default instance name resumes from its saved offsets",
          "[lifecycle]") {
  const auto topic = unique_name("it_life_bcast");
  const auto group = unique_name("it_life_bcast_g");
  create_topic(topic, 2);
  const auto directory = fs::temp_directory_path() / unique_name("offsets");
  const auto helper = helper_path() + " broadcast-consume " + shell_quote(namesrv_addr()) + " " + topic + " " +
                      group + " " + shell_quote(directory.string()) + " ";

  const auto first_batch = produce(topic, 30);
  const auto first = run_broadcast_helper(helper + "30");
  REQUIRE(first.exit_code == 0);
  REQUIRE(first.client);
  CHECK_THAT(*first.client, Catch::EndsWith("@DEFAULT"));
  CHECK(first.ids == std::set<std::string>(first_batch.begin(), first_batch.end()));

  // A new process: with the pid in the client id the saved offsets were not found and the first
  // 30 came again (the consumer starts from the first offset).
  const auto second_batch = produce(topic, 20);
  const auto second = run_broadcast_helper(helper + "20");
  REQUIRE(second.exit_code == 0);
  CHECK(second.client == first.client);
  CHECK(second.ids == std::set<std::string>(second_batch.begin(), second_batch.end()));
  fs::remove_all(directory);
}

TEST_CASE("clients still started in static objects when main returns are shut down cleanly at exit", "[lifecycle]") {
  const auto topic = unique_name("it_life_static");
  const auto group = unique_name("it_life_static_g");
  create_topic(topic, 2);
  const auto result = run_command(helper_path() + " static-clients " + shell_quote(namesrv_addr()) + " " + topic +
                                  " " + group);
  bool consumed = false;
  for (const auto& line : result.stdout_lines) consumed |= line.rfind("consumed ", 0) == 0;
  CHECK(consumed);
  // Non-zero on a crash at exit, a sanitizer report, or a hang killed by the test timeout.
  CHECK(result.exit_code == 0);
  // The consumer committed what it consumed before exiting: nothing is left behind.
  CHECK(wait_until(
      [&] {
        const auto rows = progress(group, topic);
        long long behind = 0;
        for (const auto& row : rows) behind += row.broker_offset - std::max(0LL, row.consumer_offset);
        return !rows.empty() && behind == 0;
      },
      30s));
}
