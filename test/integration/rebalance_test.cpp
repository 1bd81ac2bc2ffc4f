#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <thread>

#include "integration/consumer_support.h"

using namespace std::chrono_literals;
using namespace rocketmq::test;
using rocketmq::PushConsumer;

// A second C++ consumer and then a Java consumer join the group while 20,000 messages arrive: the
// queues are split among the three, every message is consumed at least once (duplicates only
// around hand-overs, counted), and when the joiners leave the first consumer owns every queue again.
TEST_CASE("consumers joining and leaving share the queues without losing messages", "[consumer][cluster][rebalance]") {
  const auto topic = unique_name("it_rb_topic");
  const auto group = unique_name("it_rb_group");
  create_topic(topic);

  auto first_listener = std::make_unique<RecordingListener>();
  auto* first = first_listener.get();
  auto first_option = consumer_option(group, unique_name("rb_first"));
  first_option.set_rebalance_interval(std::chrono::seconds(5));
  PushConsumer first_consumer(first_option);
  first_consumer.subscribe(topic, "*");
  first_consumer.register_message_listener(std::move(first_listener));
  first_consumer.start();
  // Alone: the 16 queues of the topic plus the retry topic's queue on each broker.
  REQUIRE(wait_until([&] { return first_consumer.stats().owned_queues == 18; }, 30s));
  const int owned_alone = first_consumer.stats().owned_queues;

  auto producer = std::async(std::launch::async, [&] { return produce(topic, 20000, "--tags TagA"); });

  REQUIRE(wait_until([&] { return first->total() >= 500; }, 60s));
  auto second_listener = std::make_unique<RecordingListener>();
  auto* second = second_listener.get();
  auto second_option = consumer_option(group, unique_name("rb_second"));
  second_option.set_rebalance_interval(std::chrono::seconds(5));
  PushConsumer second_consumer(second_option);
  second_consumer.subscribe(topic, "*");
  second_consumer.register_message_listener(std::move(second_listener));
  second_consumer.start();
  REQUIRE(wait_until([&] { return second->total() >= 200; }, 60s));
  CHECK(wait_until([&] { return first_consumer.stats().owned_queues < owned_alone; }, 10s));

  // The Java consumer takes its share and leaves once it has been idle for 5 s.
  auto java = std::async(std::launch::async, [&] {
    return run_interop("consume --namesrv " + shell_quote(namesrv_addr()) + " --group " + group + " --topic " +
                       topic + " --from first --count 20000 --idle-ms 5000 --timeout-ms 120000");
  });
  const auto sent = producer.get();
  REQUIRE(sent.size() == 20000);
  const auto java_result = java.get();
  std::map<std::string, int> java_deliveries;
  for (const auto& line : java_result.stdout_lines) ++java_deliveries[parse_json(line)["msgId"].GetString()];
  WARN("Java consumer took " << java_deliveries.size() << " message(s) while it was in the group");

  // The second C++ consumer leaves: the first owns everything again, measured.
  second_consumer.shutdown();
  const auto left = std::chrono::steady_clock::now();
  REQUIRE(wait_until([&] { return first_consumer.stats().owned_queues == owned_alone; }, 30s, 5ms));
  const auto takeover_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - left).count();
  WARN("the first consumer owned every queue again " << takeover_ms << " ms after the others left");
  CHECK(takeover_ms <= 2000);

  std::map<std::string, int> all;
  for (const auto& [id, count] : first->deliveries()) all[id] += count;
  for (const auto& [id, count] : second->deliveries()) all[id] += count;
  for (const auto& [id, count] : java_deliveries) all[id] += count;
  REQUIRE(wait_until(
      [&] {
        std::size_t covered = 0;
        auto current = first->deliveries();
        for (const auto& id : sent) covered += (all.count(id) != 0 || current.count(id) != 0) ? 1 : 0;
        return covered == sent.size();
      },
      60s));
  for (const auto& [id, count] : first->deliveries()) all[id] = std::max(all[id], count);
  long duplicates = 0;
  std::size_t missing = 0;
  for (const auto& id : sent) {
    auto it = all.find(id);
    if (it == all.end()) {
      ++missing;
    } else {
      duplicates += it->second - 1;
    }
  }
  WARN("C++ #1 " << first->distinct() << ", C++ #2 " << second->distinct() << ", Java " << java_deliveries.size()
                 << " distinct; duplicates around hand-overs: " << duplicates);
  CHECK(missing == 0);
  CHECK(first->distinct() > 0);
  CHECK(second->distinct() > 0);
  first_consumer.shutdown();
}

TEST_CASE("mqadmin sees the consumer: connection with language CPP, running info, zero diff after draining",
          "[consumer][cluster][admin]") {
  const auto topic = unique_name("it_admin_topic");
  const auto group = unique_name("it_admin_group");
  create_topic(topic);
  produce(topic, 100);
  auto listener = std::make_unique<RecordingListener>();
  auto* recorder = listener.get();
  PushConsumer consumer(consumer_option(group, unique_name("admin")));
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::move(listener));
  consumer.start();
  REQUIRE(wait_until([&] { return recorder->distinct() >= 100; }, 60s));

  const std::string admin = std::string(ROCKETMQ_SOURCE_DIR) + "/test/cluster/cluster.sh admin ";
  const std::string ns = " -n " + shell_quote(namesrv_addr());
  auto joined = [](const CommandResult& result) {
    std::string text;
    for (const auto& line : result.stdout_lines) text += line + "\n";
    return text;
  };
  const auto connection = joined(run_command(admin + "consumerConnection" + ns + " -g " + group + " 2>&1"));
  INFO(connection);
  CHECK_THAT(connection, Catch::Matchers::Contains(consumer.client_id()));
  CHECK_THAT(connection, Catch::Matchers::Contains("CPP"));
  CHECK_THAT(connection, Catch::Matchers::Contains("CONSUME_PASSIVELY"));

  const auto status =
      joined(run_command(admin + "consumerStatus" + ns + " -g " + group + " -i " + consumer.client_id() + " 2>&1"));
  INFO(status);
  CHECK_THAT(status, Catch::Matchers::Contains(topic));
  CHECK_THAT(status, Catch::Matchers::Contains("PROP_CONSUME_TYPE"));

  REQUIRE(wait_until(
      [&] {
        const auto progress_text = joined(run_command(admin + "consumerProgress" + ns + " -g " + group + " 2>&1"));
        return progress_text.find("Diff Total: 0") != std::string::npos;
      },
      30s, 500ms));
  consumer.shutdown();
}
