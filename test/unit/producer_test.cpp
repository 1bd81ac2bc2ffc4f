#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include "client/mq_client_instance.h"
#include "common/java_hash.h"
#include "producer/latency_fault_tolerance.h"
#include "producer/producer_impl.h"
#include "producer/topic_publish_info.h"
#include "protocol/compression.h"
#include "protocol/message_const.h"
#include "protocol/message_properties.h"
#include "protocol/response_code.h"
#include "rocketmq/error.h"
#include "rocketmq/producer.h"
#include "support/fake_mq_client_api.h"
#include "support/test_env.h"

namespace {

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using rocketmq::ClientError;
using rocketmq::Message;
using rocketmq::MessageQueue;
using rocketmq::ProducerOption;
using rocketmq::producer::LatencyFaultTolerance;
using rocketmq::producer::TopicPublishInfo;

ProducerOption option_with_name_server() {
  ProducerOption option;
  option.set_name_server_addr("127.0.0.1:9876");
  return option;
}

std::vector<MessageQueue> two_brokers(const std::string& topic, int queues_each) {
  std::vector<MessageQueue> queues;
  for (const char* broker : {"broker-a", "broker-b"}) {
    for (int i = 0; i < queues_each; ++i) queues.push_back(MessageQueue{topic, broker, i});
  }
  return queues;
}

rocketmq::protocol::TopicRouteData route_of(const std::vector<std::pair<std::string, std::string>>& brokers,
                                            int queues) {
  rocketmq::protocol::TopicRouteData route;
  for (const auto& [name, address] : brokers) {
    rocketmq::protocol::QueueData queue_data;
    queue_data.broker_name = name;
    queue_data.read_queue_nums = queues;
    queue_data.write_queue_nums = queues;
    queue_data.perm = 6;
    route.queue_datas.push_back(queue_data);
    rocketmq::protocol::BrokerData broker_data;
    broker_data.cluster = "DefaultCluster";
    broker_data.broker_name = name;
    broker_data.broker_addrs[0] = address;
    route.broker_datas.push_back(broker_data);
  }
  return route;
}

// A started producer over a FakeMQClientAPI with brokers a (10.0.0.1) and b (10.0.0.2).
struct FakeCluster {
  rocketmq::test::FakeMQClientAPI* api = nullptr;
  std::shared_ptr<rocketmq::client::MQClientInstance> instance;
  std::shared_ptr<rocketmq::producer::ProducerImpl> producer;

  explicit FakeCluster(ProducerOption option = option_with_name_server()) {
    auto fake = std::make_unique<rocketmq::test::FakeMQClientAPI>();
    api = fake.get();
    api->set_topic_route("T", route_of({{"broker-a", "10.0.0.1:10911"}, {"broker-b", "10.0.0.2:10911"}}, 4));
    rocketmq::client::ClientConfig config;
    config.name_server_addr = "127.0.0.1:9876";
    config.instance_name = rocketmq::test::unique_name("fake");
    instance = std::make_shared<rocketmq::client::MQClientInstance>(config, std::move(fake), nullptr);
    producer = std::make_shared<rocketmq::producer::ProducerImpl>(option, instance);
    producer->start();
  }
  ~FakeCluster() {
    producer->shutdown();
    producer.reset();
    instance->shutdown();
  }
};

}  // namespace

TEST_CASE("send validation names the broken rule", "[producer]") {
  const ProducerOption option = option_with_name_server();
  rocketmq::Producer producer(option);

  SECTION("bad topic names") {
    CHECK_THROWS_WITH(producer.send(Message("bad topic!", "x")), Contains("invalid topic \"bad topic!\""));
    CHECK_THROWS_WITH(producer.send(Message("", "x")), Contains("must not be empty"));
    CHECK_THROWS_WITH(producer.send(Message(std::string(128, 'a'), "x")), Contains("longer than 127"));
    CHECK_THROWS_WITH(producer.send(Message("TBW102", "x")), Contains("reserved"));
    CHECK_THROWS_WITH(producer.send(Message("%RETRY%group", "x")), Contains("cannot be sent to"));
  }
  SECTION("empty body") {
    CHECK_THROWS_AS(producer.send(Message("T", "")), ClientError);
    CHECK_THROWS_WITH(producer.send(Message("T", "")), Contains("the body is empty"));
  }
  SECTION("body over max_message_size") {
    CHECK_THROWS_WITH(producer.send(Message("T", std::string(4 * 1024 * 1024 + 1, 'x'))),
                      Contains("body of 4194305 bytes exceeds max_message_size (4194304 bytes)"));
  }
  SECTION("every send flavour validates before anything else") {
    const Message empty("T", "");
    CHECK_THROWS_WITH(producer.send(empty, [](const rocketmq::SendResult&, std::exception_ptr) {}),
                      Contains("the body is empty"));
    CHECK_THROWS_WITH(producer.send_oneway(empty), Contains("the body is empty"));
    CHECK_THROWS_WITH(producer.send(empty, MessageQueue{"T", "b", 0}), Contains("the body is empty"));
    CHECK_THROWS_WITH(producer.send(empty, rocketmq::select_queue_by_hash(), "k"), Contains("the body is empty"));
  }
  SECTION("a valid message before start") {
    CHECK_THROWS_WITH(producer.send(Message("T", "x")), Contains("not started"));
    CHECK_THROWS_WITH(producer.send_oneway(Message("T", "x")), Contains("not started"));
  }
  SECTION("a valid message after shutdown") {
    producer.shutdown();
    CHECK_THROWS_WITH(producer.send(Message("T", "x")), Contains("shut down"));
    CHECK_THROWS_WITH(producer.start(), Contains("after shutdown()"));
  }
}

TEST_CASE("start needs a name server", "[producer]") {
  rocketmq::Producer producer{ProducerOption{}};
  CHECK_THROWS_WITH(producer.start(), Contains("no name server address"));
  producer.shutdown();
  producer.shutdown();  // idempotent
}

TEST_CASE("async send needs a callback", "[producer]") {
  rocketmq::Producer producer(option_with_name_server());
  CHECK_THROWS_WITH(producer.send(Message("T", "x"), rocketmq::SendCallback{}), Contains("callback is empty"));
}

TEST_CASE("prepared messages carry UNIQ_KEY and WAIT and are compressed at the threshold", "[producer]") {
  namespace property = rocketmq::protocol::message_property;
  ProducerOption option = option_with_name_server();
  option.set_compress_threshold(4096);

  Message small("T", std::string(4095, 'a'));
  small.set_tags("TagA");
  const auto plain = rocketmq::producer::prepare_message(small, option);
  const auto properties = rocketmq::protocol::decode_properties(plain.properties);
  CHECK(plain.sys_flag == 0);
  CHECK(plain.body == small.body());
  CHECK(properties.at(property::kUniqKey) == plain.msg_id);
  CHECK(plain.msg_id.size() == 32);
  CHECK(properties.at(property::kWaitStoreMsgOk) == "true");
  CHECK(properties.at(property::kTags) == "TagA");

  const Message large("T", std::string(4096, 'b'));
  const auto compressed = rocketmq::producer::prepare_message(large, option);
  CHECK(compressed.sys_flag == (rocketmq::protocol::sys_flag::kCompressed |
                                rocketmq::protocol::sys_flag::kCompressionZlibType));
  CHECK(compressed.body.size() < large.body().size());
  CHECK(rocketmq::protocol::decompress(rocketmq::protocol::CompressionType::kZlib, compressed.body) == large.body());

  // Every send gets a new id.
  CHECK(rocketmq::producer::prepare_message(small, option).msg_id != plain.msg_id);
}

TEST_CASE("batch rules", "[producer]") {
  const ProducerOption option = option_with_name_server();
  std::vector<Message> batch{Message("T", "one"), Message("T", "two"), Message("T", "three")};

  SECTION("a valid batch: ids joined, no wrapper id (the broker would copy it over), never compressed") {
    const auto prepared = rocketmq::producer::prepare_batch(batch, option);
    CHECK(prepared.batch);
    CHECK(prepared.sys_flag == 0);
    CHECK(std::count(prepared.msg_id.begin(), prepared.msg_id.end(), ',') == 2);
    const auto wrapper = rocketmq::protocol::decode_properties(prepared.properties);
    CHECK(wrapper.count("UNIQ_KEY") == 0);
    CHECK(wrapper.at("WAIT") == "true");
    CHECK(prepared.body.find("three") != std::string::npos);
  }
  SECTION("empty") {
    CHECK_THROWS_WITH(rocketmq::producer::prepare_batch({}, option), Contains("holds no message"));
  }
  SECTION("mixed topics") {
    batch[1].set_topic("Other");
    CHECK_THROWS_WITH(rocketmq::producer::prepare_batch(batch, option), Contains("a batch has one topic"));
  }
  SECTION("delay level") {
    batch[2].set_delay_level(3);
    CHECK_THROWS_WITH(rocketmq::producer::prepare_batch(batch, option), Contains("delayed messages cannot be batched"));
  }
  SECTION("delivery timestamp") {
    batch[0].set_delivery_timestamp(1700000000000);
    CHECK_THROWS_WITH(rocketmq::producer::prepare_batch(batch, option), Contains("timed messages cannot be batched"));
  }
  SECTION("retry topic") {
    for (auto& message : batch) message.set_topic("%RETRY%G");
    CHECK_THROWS_WITH(rocketmq::producer::prepare_batch(batch, option), Contains("cannot be sent to"));
  }
  SECTION("an encoded batch over max_message_size") {
    ProducerOption small = option;
    small.set_max_message_size(1024);
    std::vector<Message> big(3, Message("T", std::string(400, 'x')));
    CHECK_THROWS_WITH(rocketmq::producer::prepare_batch(big, small), Contains("over max_message_size (1024 bytes)"));
  }
}

TEST_CASE("latency fault tolerance avoids failed and slow brokers for a while", "[producer]") {
  CHECK(LatencyFaultTolerance::not_available_duration(10ms) == 0ms);
  CHECK(LatencyFaultTolerance::not_available_duration(549ms) == 0ms);
  CHECK(LatencyFaultTolerance::not_available_duration(550ms) == 2000ms);
  CHECK(LatencyFaultTolerance::not_available_duration(3000ms) == 6000ms);
  CHECK(LatencyFaultTolerance::not_available_duration(10000ms) == 10000ms);
  CHECK(LatencyFaultTolerance::not_available_duration(60000ms) == 30000ms);

  LatencyFaultTolerance fault;
  const auto now = LatencyFaultTolerance::Clock::now();
  fault.update("broker-a", 5ms, false, now);
  CHECK(fault.is_available("broker-a", now));
  CHECK(fault.size() == 0);

  fault.update("broker-a", 5ms, true, now);  // failure: isolated for 10 s
  CHECK_FALSE(fault.is_available("broker-a", now));
  CHECK_FALSE(fault.is_available("broker-a", now + 9999ms));
  CHECK(fault.is_available("broker-a", now + 10000ms));
  // A quick answer while isolated does not lift the penalty early.
  fault.update("broker-a", 1ms, false, now + 1s);
  CHECK_FALSE(fault.is_available("broker-a", now + 2s));

  fault.update("broker-b", 600ms, false, now);  // slow: out for 2 s
  CHECK_FALSE(fault.is_available("broker-b", now + 1s));
  fault.remove("broker-b");
  CHECK(fault.is_available("broker-b", now));
}

TEST_CASE("queue selection rotates and skips failed or avoided brokers", "[producer]") {
  const TopicPublishInfo info(two_brokers("T", 4));
  std::set<MessageQueue> seen;
  for (int i = 0; i < 8; ++i) seen.insert(info.select_queue("", nullptr));
  CHECK(seen.size() == 8);

  for (int i = 0; i < 20; ++i) CHECK(info.select_queue("broker-a", nullptr).broker_name == "broker-b");

  LatencyFaultTolerance fault;
  fault.update("broker-b", 0ms, true);
  for (int i = 0; i < 20; ++i) CHECK(info.select_queue("", &fault).broker_name == "broker-a");
  // Every broker failed or avoided: still a queue, preferably not the one that just failed.
  for (int i = 0; i < 20; ++i) CHECK(info.select_queue("broker-a", &fault).broker_name == "broker-b");

  const TopicPublishInfo single({MessageQueue{"T", "broker-a", 0}});
  CHECK(single.select_queue("broker-a", nullptr).broker_name == "broker-a");
}

TEST_CASE("select_queue_by_hash follows Java's SelectMessageQueueByHash", "[producer]") {
  const auto selector = rocketmq::select_queue_by_hash();
  const auto queues = two_brokers("T", 4);
  const Message message("T", "x");
  CHECK(selector(queues, message, "hello") == queues[99162322 % 8]);  // "hello".hashCode() = 99162322
  // "polygenelubricants".hashCode() is Integer.MIN_VALUE: Math.abs would overflow, the modulo does not.
  CHECK(rocketmq::common::java_string_hash("polygenelubricants") == INT32_MIN);
  CHECK(selector(queues, message, "polygenelubricants") == queues[0]);
  // Negative hashes: |hash % size|.
  const std::string negative = "order-key-negative-hash-zz";
  const std::int32_t hash = rocketmq::common::java_string_hash(negative);
  const std::int32_t expected = hash % 8 < 0 ? -(hash % 8) : hash % 8;
  CHECK(selector(queues, message, negative) == queues[static_cast<std::size_t>(expected)]);
  CHECK(selector(queues, message, "Aa") == selector(queues, message, "BB"));  // equal Java hashes
  CHECK_THROWS_AS(selector({}, message, "k"), ClientError);
}

TEST_CASE("sync send retries on another broker and reports the cause", "[producer]") {
  FakeCluster cluster;
  using rocketmq::test::FakeMQClientAPI;

  SECTION("a retryable broker error moves to the other broker") {
    cluster.api->fail_next("send_message",
                           FakeMQClientAPI::broker_error(static_cast<int>(rocketmq::protocol::ResponseCode::kSystemBusy),
                                                         "busy"));
    const auto result = cluster.producer->send(Message("T", "x"));
    const auto calls = cluster.api->send_calls();
    REQUIRE(calls.size() == 2);
    CHECK(calls[0].header.broker_name != calls[1].header.broker_name);
    CHECK(result.queue.broker_name == *calls[1].header.broker_name);
    CHECK(calls[1].header.default_topic == "TBW102");
    CHECK(calls[1].header.default_topic_queue_nums == 4);
    // The failed broker is avoided by the next sends.
    CHECK_FALSE(cluster.producer->fault_tolerance().is_available(*calls[0].header.broker_name));
    cluster.api->clear_calls();
    for (int i = 0; i < 5; ++i) cluster.producer->send(Message("T", "y"));
    for (const auto& call : cluster.api->send_calls()) CHECK(*call.header.broker_name == result.queue.broker_name);
  }
  SECTION("a non-retryable error reaches the caller at once, with code and remark") {
    cluster.api->fail_next("send_message", FakeMQClientAPI::broker_error(13, "illegal"));
    try {
      cluster.producer->send(Message("T", "x"));
      FAIL("no error");
    } catch (const rocketmq::BrokerError& error) {
      CHECK(error.response_code() == 13);
      CHECK(error.remark() == "illegal");
      CHECK_THAT(error.what(), Contains("MessageQueue[topic=T"));
    }
    CHECK(cluster.api->send_calls().size() == 1);
  }
  SECTION("every attempt failing: 1 + retry_times attempts, last cause named") {
    cluster.api->fail_next("send_message", FakeMQClientAPI::broker_error(14, "down"), 3);
    CHECK_THROWS_WITH(cluster.producer->send(Message("T", "x")), Contains("failed after 3 attempt(s)") && Contains("down"));
    CHECK(cluster.api->send_calls().size() == 3);
  }
}

// Without the probe a broker that failed one send stays out for its whole isolation (10 s), however
// soon it answers again: after a network blip the producer would shun a healthy broker.
TEST_CASE("a broker isolated after a failed send is probed and used again once it answers", "[producer]") {
  FakeCluster cluster;
  using rocketmq::test::FakeMQClientAPI;
  SECTION("a broker that answered with an error (busy) keeps its back-off and is not probed") {
    cluster.api->fail_next("send_message", FakeMQClientAPI::broker_error(
                                               static_cast<int>(rocketmq::protocol::ResponseCode::kSystemBusy), "busy"));
    cluster.producer->send(Message("T", "x"));
    const auto busy = *cluster.api->send_calls().at(0).header.broker_name;
    std::this_thread::sleep_for(1500ms);  // more than one probe interval
    CHECK(cluster.api->call_count("probe_broker") == 0);
    CHECK_FALSE(cluster.producer->fault_tolerance().is_available(busy));
  }
  SECTION("a broker that did not answer is probed until it answers") {
    cluster.api->fail_next("send_message", std::make_exception_ptr(rocketmq::TimeoutError("no answer")));
    cluster.producer->send(Message("T", "x"));
    const auto failed = *cluster.api->send_calls().at(0).header.broker_name;
    REQUIRE_FALSE(cluster.producer->fault_tolerance().is_available(failed));
    // The first two probes go unanswered: the broker stays avoided meanwhile.
    cluster.api->fail_next("probe_broker", std::make_exception_ptr(rocketmq::TimeoutError("no answer")), 2);
    REQUIRE(rocketmq::test::wait_until([&] { return cluster.api->call_count("probe_broker") >= 2; }, 10s, 10ms));
    CHECK_FALSE(cluster.producer->fault_tolerance().is_available(failed));
    // The third answers, well before the 10 s isolation would have ended.
    REQUIRE(rocketmq::test::wait_until([&] { return cluster.producer->fault_tolerance().is_available(failed); }, 5s,
                                       10ms));
    CHECK(cluster.api->call_count("probe_broker") >= 3);
    // Nothing left to probe.
    const auto probes = cluster.api->call_count("probe_broker");
    std::this_thread::sleep_for(1500ms);  // more than one probe interval: no probe of a healthy broker
    CHECK(cluster.api->call_count("probe_broker") == probes);
  }
}

TEST_CASE("a topic without a route is sent along TBW102's route", "[producer]") {
  FakeCluster cluster;
  cluster.api->set_topic_route("TBW102", route_of({{"broker-a", "10.0.0.1:10911"}}, 8));
  const auto result = cluster.producer->send(Message("NewTopic", "x"));
  CHECK(result.queue.topic == "NewTopic");
  const auto calls = cluster.api->send_calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].header.topic == "NewTopic");
  CHECK(calls[0].header.default_topic == "TBW102");
  CHECK(calls[0].header.queue_id < 4);
}

TEST_CASE("async sends call back exactly once, on an SDK thread, after retries", "[producer]") {
  // The callbacks run on SDK threads and Catch2 is not thread-safe: they only record (into atomics),
  // and the test thread asserts once they have all run. Declared before the cluster so a callback
  // still running when a REQUIRE gives up finds them alive until the producer has shut down.
  constexpr int kSends = 200;
  std::atomic<int> successes{0};
  std::atomic<int> failures{0};
  std::atomic<int> on_caller_thread{0};
  std::atomic<int> empty_ids{0};
  std::vector<std::atomic<int>> calls(kSends);

  ProducerOption option = option_with_name_server();
  option.set_max_pending_async_sends(8);
  FakeCluster cluster(option);
  using rocketmq::test::FakeMQClientAPI;
  cluster.api->fail_next("send_message_async", FakeMQClientAPI::broker_error(2, "busy"), 2);
  cluster.api->fail_next("send_message_async", FakeMQClientAPI::broker_error(13, "illegal"), 1);

  const auto caller = std::this_thread::get_id();
  for (int i = 0; i < kSends; ++i) {
    cluster.producer->send_async(Message("T", "m" + std::to_string(i)),
                                 [&, i](const rocketmq::SendResult& result, std::exception_ptr error) {
                                   calls[i].fetch_add(1);
                                   if (std::this_thread::get_id() == caller) on_caller_thread.fetch_add(1);
                                   if (!error && result.msg_id.empty()) empty_ids.fetch_add(1);
                                   // Last: once the test sees every outcome, no callback touches its state.
                                   (error ? failures : successes).fetch_add(1);
                                   if (i % 50 == 0) throw std::runtime_error("callbacks may throw");  // logged only
                                 });
    CHECK(cluster.producer->pending_async_sends() <= 8);
  }
  REQUIRE(rocketmq::test::wait_until([&] { return successes + failures == kSends; }, 10s));
  CHECK(failures == 1);  // the non-retryable one; the busy ones were retried
  CHECK(on_caller_thread == 0);
  CHECK(empty_ids == 0);
  for (auto& count : calls) CHECK(count == 1);
  CHECK(rocketmq::test::wait_until([&] { return cluster.producer->pending_async_sends() == 0; }, 5s));
}
