#include <rapidjson/document.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "rocketmq/error.h"
#include "rocketmq/producer.h"
#include "support/test_env.h"

using rocketmq::test::cluster_producer_option;
using rocketmq::test::namesrv_addr;
using rocketmq::test::run_interop;
using rocketmq::test::sha256_hex;
using rocketmq::test::shell_quote;
using rocketmq::test::unique_name;

namespace {

using Clock = std::chrono::steady_clock;
using Catch::Matchers::Contains;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string random_bytes(std::mt19937& random, std::size_t size) {
  std::string bytes(size, '\0');
  for (auto& c : bytes) c = static_cast<char>(random() & 0xFF);
  return bytes;
}

void create_topic(const std::string& topic) {
  auto created = run_interop("create-topic --namesrv " + shell_quote(namesrv_addr()) + " --topic " + topic +
                             " --queues 8");
  REQUIRE(created.exit_code == 0);
}

struct Received {
  std::string msg_id, topic, tags, keys, sha256, broker;
  std::map<std::string, std::string> properties;
  std::size_t body_size = 0;
  int queue_id = 0;
  std::int64_t queue_offset = 0;
};

// Reads `count` messages of `topic` with the Java client, from the first offset.
std::vector<Received> consume_with_java(const std::string& topic, std::size_t count) {
  auto consumed = run_interop("consume --namesrv " + shell_quote(namesrv_addr()) + " --group " +
                              unique_name("it_producer_group") + " --topic " + topic + " --from first --count " +
                              std::to_string(count) + " --timeout-ms 120000");
  REQUIRE(consumed.exit_code == 0);
  std::vector<Received> messages;
  for (const auto& line : consumed.stdout_lines) {
    rapidjson::Document document;
    document.Parse(line.c_str());
    INFO("line: " << line);
    REQUIRE_FALSE(document.HasParseError());
    Received message;
    message.msg_id = document["msgId"].GetString();
    message.topic = document["topic"].GetString();
    message.tags = document["tags"].IsString() ? document["tags"].GetString() : "";
    message.keys = document["keys"].IsString() ? document["keys"].GetString() : "";
    message.sha256 = document["bodySha256"].GetString();
    message.body_size = document["bodySize"].GetUint64();
    message.broker = document["brokerName"].GetString();
    message.queue_id = document["queueId"].GetInt();
    message.queue_offset = document["queueOffset"].GetInt64();
    for (const auto& property : document["properties"].GetObject()) {
      message.properties[property.name.GetString()] = property.value.GetString();
    }
    messages.push_back(std::move(message));
  }
  return messages;
}

rocketmq::ProducerOption producer_option() { return cluster_producer_option("it_producer"); }

}  // namespace

TEST_CASE("10,000 sync sends reach the Java consumer byte for byte", "[producer][cluster]") {
  const std::string topic = unique_name("it_producer_sync");
  create_topic(topic);
  rocketmq::Producer producer(producer_option());
  producer.start();

  struct Sent {
    std::string sha256, tags, keys, property;
  };
  std::map<std::string, Sent> sent;
  std::set<std::string> brokers;
  std::mt19937 random(42);
  constexpr int kCount = 10000;
  const auto start = Clock::now();
  for (int i = 0; i < kCount; ++i) {
    rocketmq::Message message(topic, random_bytes(random, 1 + random() % 2048));
    message.set_tags(i % 2 == 0 ? "TagA" : "TagB");
    message.set_keys("key-" + std::to_string(i) + " order-" + std::to_string(i % 7));
    message.set_property("index", std::to_string(i));
    const auto result = producer.send(message);
    REQUIRE(result.status == rocketmq::SendStatus::SendOk);
    REQUIRE(result.queue.topic == topic);
    REQUIRE(result.queue_offset >= 0);
    brokers.insert(result.queue.broker_name);
    sent[result.msg_id] = Sent{sha256_hex(message.body()), message.tags(), message.keys(), std::to_string(i)};
  }
  const double elapsed = seconds_since(start);
  WARN("sync: " << kCount << " sends in " << elapsed << " s (" << static_cast<int>(kCount / elapsed) << " msg/s)");
  REQUIRE(sent.size() == kCount);
  CHECK(brokers.size() == 2);
  producer.shutdown();

  const auto received = consume_with_java(topic, kCount);
  CHECK(received.size() == kCount);
  std::set<std::string> seen;
  for (const auto& message : received) {
    INFO("msgId " << message.msg_id);
    auto it = sent.find(message.msg_id);
    REQUIRE(it != sent.end());
    seen.insert(message.msg_id);
    CHECK(message.sha256 == it->second.sha256);
    CHECK(message.tags == it->second.tags);
    CHECK(message.keys == it->second.keys);
    CHECK(message.properties.at("index") == it->second.property);
    CHECK(message.properties.at("UNIQ_KEY") == message.msg_id);
    CHECK(message.topic == topic);
  }
  CHECK(seen.size() == kCount);
}

TEST_CASE("100,000 async sends call back exactly once with bounded in-flight", "[producer][cluster]") {
  const std::string topic = unique_name("it_producer_async");
  create_topic(topic);
  auto option = producer_option();
  option.set_max_pending_async_sends(1000);
  rocketmq::Producer producer(option);
  producer.start();

  constexpr int kCount = 100000;
  std::vector<std::atomic<int>> calls(kCount);
  std::atomic<int> done{0};
  std::atomic<int> failed{0};
  std::atomic<int> in_flight{0};
  std::atomic<int> max_in_flight{0};
  std::mutex errors_mutex;
  std::vector<std::string> errors;
  const auto start = Clock::now();
  for (int i = 0; i < kCount; ++i) {
    const int now_in_flight = in_flight.fetch_add(1) + 1;
    int seen_max = max_in_flight.load();
    while (now_in_flight > seen_max && !max_in_flight.compare_exchange_weak(seen_max, now_in_flight)) {
    }
    producer.send(rocketmq::Message(topic, "TagA", "async " + std::to_string(i)),
                  [&, i](const rocketmq::SendResult& result, std::exception_ptr error) {
                    in_flight.fetch_sub(1);
                    calls[i].fetch_add(1);
                    if (error || result.msg_id.empty()) {
                      failed.fetch_add(1);
                      try {
                        if (error) std::rethrow_exception(error);
                      } catch (const std::exception& e) {
                        std::lock_guard<std::mutex> lock(errors_mutex);
                        errors.push_back(e.what());
                      }
                    }
                    done.fetch_add(1);
                  });
  }
  const double queued = seconds_since(start);
  REQUIRE(rocketmq::test::wait_until([&] { return done.load() == kCount; }, std::chrono::seconds(240)));
  const double elapsed = seconds_since(start);
  WARN("async: " << kCount << " sends queued in " << queued << " s, all answered in " << elapsed << " s ("
                 << static_cast<int>(kCount / elapsed) << " msg/s), max in flight " << max_in_flight.load());
  producer.shutdown();
  for (auto& count : calls) REQUIRE(count.load() == 1);
  if (!errors.empty()) WARN("first error: " << errors.front());
  CHECK(failed.load() == 0);
  // The limit holds (the +1 is the send being counted before it blocks).
  CHECK(max_in_flight.load() <= 1001);
}

TEST_CASE("oneway, batch, ordered and compressed sends arrive intact", "[producer][cluster]") {
  const std::string topic = unique_name("it_producer_mixed");
  create_topic(topic);
  rocketmq::Producer producer(producer_option());
  producer.start();

  // 100 oneway sends.
  for (int i = 0; i < 100; ++i) {
    rocketmq::Message message(topic, "oneway " + std::to_string(i));
    message.set_property("kind", "oneway");
    producer.send_oneway(message);
  }

  // A batch of 50.
  std::vector<rocketmq::Message> batch;
  for (int i = 0; i < 50; ++i) {
    rocketmq::Message message(topic, "TagBatch", "batch " + std::to_string(i));
    message.set_property("kind", "batch");
    batch.push_back(message);
  }
  const auto batch_result = producer.send(batch);
  std::set<std::string> batch_ids;
  for (std::size_t start = 0, comma; start <= batch_result.msg_id.size(); start = comma + 1) {
    comma = batch_result.msg_id.find(',', start);
    if (comma == std::string::npos) comma = batch_result.msg_id.size();
    batch_ids.insert(batch_result.msg_id.substr(start, comma - start));
  }
  CHECK(batch_ids.size() == 50);

  // Ordered: 10 keys, 20 messages each, interleaved.
  std::map<std::string, std::string> ordered_queue;  // key → queue the send result named
  for (int seq = 0; seq < 20; ++seq) {
    for (int k = 0; k < 10; ++k) {
      const std::string key = "order-key-" + std::to_string(k);
      rocketmq::Message message(topic, "ordered " + key + " " + std::to_string(seq));
      message.set_property("kind", "ordered");
      message.set_property("orderKey", key);
      message.set_property("seq", std::to_string(seq));
      const auto result = producer.send(message, rocketmq::select_queue_by_hash(), key);
      const std::string queue = result.queue.broker_name + "/" + std::to_string(result.queue.queue_id);
      auto [it, inserted] = ordered_queue.emplace(key, queue);
      CHECK(it->second == queue);
    }
  }

  // A 100 KiB body: compressed on the wire, the original bytes at the consumer.
  std::mt19937 random(7);
  std::string large;
  while (large.size() < 100 * 1024) large += "compressible text " + std::to_string(random() % 100) + " ";
  large.resize(100 * 1024);
  rocketmq::Message large_message(topic, large);
  large_message.set_property("kind", "large");
  const auto large_result = producer.send(large_message);
  producer.shutdown();

  const auto received = consume_with_java(topic, 100 + 50 + 200 + 1);
  CHECK(received.size() == 351);
  std::map<std::string, int> kinds;
  std::set<std::string> received_batch_ids;
  std::map<std::string, std::vector<const Received*>> by_key;
  for (const auto& message : received) {
    const std::string kind = message.properties.at("kind");
    ++kinds[kind];
    if (kind == "batch") received_batch_ids.insert(message.msg_id);
    if (kind == "ordered") by_key[message.properties.at("orderKey")].push_back(&message);
    if (kind == "large") {
      CHECK(message.msg_id == large_result.msg_id);
      CHECK(message.body_size == large.size());
      CHECK(message.sha256 == sha256_hex(large));
    }
  }
  CHECK(kinds["oneway"] == 100);
  CHECK(kinds["batch"] == 50);
  CHECK(kinds["ordered"] == 200);
  CHECK(kinds["large"] == 1);
  CHECK(received_batch_ids == batch_ids);
  REQUIRE(by_key.size() == 10);
  for (auto& [key, messages] : by_key) {
    INFO("key " << key);
    CHECK(messages.size() == 20);
    std::sort(messages.begin(), messages.end(),
              [](const Received* a, const Received* b) { return a->queue_offset < b->queue_offset; });
    for (std::size_t i = 0; i < messages.size(); ++i) {
      CHECK(messages[i]->broker + "/" + std::to_string(messages[i]->queue_id) == ordered_queue[key]);
      CHECK(messages[i]->properties.at("seq") == std::to_string(i));
    }
  }
}

TEST_CASE("a send to a brand-new topic creates it", "[producer][cluster]") {
  const std::string topic = unique_name("it_producer_auto");
  rocketmq::Producer producer(producer_option());
  producer.start();
  const auto result = producer.send(rocketmq::Message(topic, "TagA", "auto-created"));
  CHECK(result.queue.topic == topic);
  CHECK(result.queue.queue_id < 4);
  const auto second = producer.send(rocketmq::Message(topic, "TagA", "second"));
  producer.shutdown();
  const auto received = consume_with_java(topic, 2);
  REQUIRE(received.size() == 2);
  std::set<std::string> ids{received[0].msg_id, received[1].msg_id};
  CHECK(ids == std::set<std::string>{result.msg_id, second.msg_id});
}

TEST_CASE("send validation errors before and after start", "[producer][cluster]") {
  rocketmq::Producer producer(producer_option());
  const std::string topic = unique_name("it_producer_invalid");
  auto check_rules = [&] {
    CHECK_THROWS_WITH(producer.send(rocketmq::Message(topic, std::string(4 * 1024 * 1024 + 1, 'x'))),
                      Contains("exceeds max_message_size"));
    CHECK_THROWS_WITH(producer.send(rocketmq::Message(topic, "")), Contains("the body is empty"));
    CHECK_THROWS_WITH(producer.send(rocketmq::Message("bad topic", "x")), Contains("invalid topic \"bad topic\""));
    CHECK_THROWS_AS(producer.send(rocketmq::Message("bad topic", "x")), rocketmq::ClientError);
  };
  check_rules();
  producer.start();
  check_rules();
  producer.shutdown();
}

// broker-b dies (SIGKILL: no goodbye to the name server, whose route still lists it) in the middle
// of a run: synchronous sends fail over to broker-a, asynchronous callbacks all run exactly once,
// and errors that do reach the caller name their cause.
TEST_CASE("sends fail over to broker-a when broker-b is killed mid-run", "[producer][cluster][failover][own-cluster]") {
  rocketmq::test::ScopedCluster cluster("failover", 18876, 19911, 22911, "");
  const std::string topic = unique_name("it_producer_failover");
  auto created = run_interop("create-topic --namesrv " + shell_quote(cluster.namesrv()) + " --topic " + topic +
                             " --queues 8");
  REQUIRE(created.exit_code == 0);

  rocketmq::ProducerOption option;
  option.set_name_server_addr(cluster.namesrv());
  option.set_group_name(unique_name("it_failover_producer"));
  option.set_instance_name(unique_name("failover"));
  option.set_send_timeout(std::chrono::milliseconds(2000));
  option.set_retry_times(2);
  option.set_async_retry_times(2);
  rocketmq::Producer producer(option);
  producer.start();

  std::map<std::string, int> per_broker_before;
  for (int i = 0; i < 200; ++i) {
    ++per_broker_before[producer.send(rocketmq::Message(topic, "TagA", "before " + std::to_string(i))).queue.broker_name];
  }
  CHECK(per_broker_before.size() == 2);

  auto killed = rocketmq::test::run_command("kill -9 $(cat /dev/shm/rmq-it-failover/broker-b.pid)");
  REQUIRE(killed.exit_code == 0);

  int sync_ok = 0;
  std::vector<std::string> sync_errors;
  std::map<std::string, int> per_broker_after;
  for (int i = 0; i < 300; ++i) {
    try {
      ++per_broker_after[producer.send(rocketmq::Message(topic, "TagA", "after " + std::to_string(i))).queue.broker_name];
      ++sync_ok;
    } catch (const rocketmq::Error& error) {
      sync_errors.push_back(error.what());
    }
  }
  constexpr int kAsync = 500;
  std::vector<std::atomic<int>> calls(kAsync);
  std::atomic<int> async_done{0};
  std::atomic<int> async_failed{0};
  for (int i = 0; i < kAsync; ++i) {
    producer.send(rocketmq::Message(topic, "TagA", "async " + std::to_string(i)),
                  [&, i](const rocketmq::SendResult&, std::exception_ptr error) {
                    calls[i].fetch_add(1);
                    if (error) async_failed.fetch_add(1);
                    async_done.fetch_add(1);
                  });
  }
  REQUIRE(rocketmq::test::wait_until([&] { return async_done.load() == kAsync; }, std::chrono::seconds(120)));
  producer.shutdown();
  for (auto& count : calls) CHECK(count.load() == 1);
  WARN("after the kill: " << sync_ok << "/300 sync sends succeeded (" << per_broker_after["broker-a"]
                          << " on broker-a), " << async_failed.load() << "/" << kAsync << " async sends failed");
  for (const auto& text : sync_errors) {
    INFO(text);
    CHECK((text.find("broker-b") != std::string::npos || text.find(cluster.broker_b()) != std::string::npos ||
           text.find("broker") != std::string::npos));
  }
  // Retries go to another broker: nearly everything lands on broker-a.
  CHECK(sync_ok >= 295);
  CHECK(per_broker_after["broker-b"] == 0);
  CHECK(async_failed.load() <= 5);
}
