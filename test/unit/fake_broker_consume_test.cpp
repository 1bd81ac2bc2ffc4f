// A push consumer end to end against FakeBrokers, for what a real broker will not do: a pull body
// with a corrupt record and a decompression bomb among good ones, a refused send-back, a broker
// that never answers offset commits at shutdown.

#include <catch2/catch.hpp>
#include <rocketmq/rocketmq.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "protocol/compression.h"
#include "protocol/message_const.h"
#include "protocol/message_decoder.h"
#include "protocol/message_properties.h"
#include "support/fake_broker.h"
#include "support/listeners.h"
#include "support/test_env.h"

using namespace std::chrono_literals;
using rocketmq::test::FakeBroker;
using rocketmq::test::ListenerOf;
using rocketmq::test::wait_until;

namespace {

// Remembers every body delivered; answers ReconsumeLater for the first `failures` calls.
class Recorder : public rocketmq::MessageListenerConcurrently {
 public:
  explicit Recorder(int failures = 0) : failures_(failures) {}
  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>& messages) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& message : messages) bodies_.push_back(message.get_body());
    if (failures_ > 0) {
      --failures_;
      return rocketmq::ConsumeResult::ReconsumeLater;
    }
    return rocketmq::ConsumeResult::Success;
  }
  std::vector<std::string> bodies() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return bodies_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> bodies_;
  int failures_;
};

rocketmq::ConsumerOption option_for(const FakeBroker& broker, const std::string& group) {
  rocketmq::ConsumerOption option;
  option.set_name_server_addr(broker.address());
  option.set_group_name(group);
  option.set_consume_from_where(rocketmq::ConsumeFromWhere::ConsumeFromFirstOffset);
  option.set_request_timeout(1s);
  option.set_shutdown_timeout(5s);
  return option;
}

// Subscribes `consumer` to every message of `topic`, gives it a fresh Recorder and starts it; the
// consumer owns the recorder and outlives every use of the pointer in a test.
Recorder* start_recording(rocketmq::PushConsumer& consumer, const std::string& topic) {
  consumer.subscribe(topic, "*");
  auto owned = std::make_unique<Recorder>();
  auto* recorder = owned.get();
  consumer.register_message_listener(std::move(owned));
  consumer.start();
  return recorder;
}

std::string good_record(const std::string& topic, int queue_id, std::int64_t offset) {
  return rocketmq::protocol::encode_stored_message(FakeBroker::message(topic, queue_id, offset, "good-" + std::to_string(offset)));
}

}  // namespace

TEST_CASE("a corrupt record and a decompression bomb are skipped, counted and dead-lettered, the good ones come",
          "[fake-broker][fault]") {
  const std::string topic = "TopicPoison";
  FakeBroker broker;
  broker.add_record(topic, 0, 0, good_record(topic, 0, 0));
  // Offset 1: a record whose magic code no decoder knows (its length is intact, so the next one is found).
  auto corrupt = good_record(topic, 0, 1);
  corrupt.replace(4, 4, std::string("\x12\x34\x56\x78", 4));
  broker.add_record(topic, 0, 1, corrupt);
  broker.add_record(topic, 0, 2, good_record(topic, 0, 2));
  // Offset 3: 65 MiB of zeros zlib-compressed into about 64 KiB, past the 64 MiB body limit.
  auto bomb = FakeBroker::message(topic, 0, 3, rocketmq::protocol::compress(
                                                   rocketmq::protocol::CompressionType::kZlib,
                                                   std::string(65 * 1024 * 1024, '\0'), 1));
  bomb.sys_flag = rocketmq::protocol::sys_flag::kCompressed;
  broker.add_record(topic, 0, 3, rocketmq::protocol::encode_stored_message(bomb));
  broker.add_record(topic, 0, 4, good_record(topic, 0, 4));

  rocketmq::PushConsumer consumer(option_for(broker, "poison_group"));
  auto* recorder = start_recording(consumer, topic);

  REQUIRE(wait_until([&] { return recorder->bodies().size() >= 3; }, 30s));
  REQUIRE(wait_until([&] { return consumer.stats().undecodable_messages == 2; }, 10s));
  const auto bodies = recorder->bodies();
  CHECK(std::set<std::string>(bodies.begin(), bodies.end()) == std::set<std::string>{"good-0", "good-2", "good-4"});
  // Both bad records were handed to the dead-letter queue by their commit-log offsets.
  REQUIRE(wait_until([&] { return broker.send_backs().size() == 2; }, 10s));
  std::set<std::int64_t> dead_lettered;
  for (const auto& send_back : broker.send_backs()) {
    dead_lettered.insert(send_back.offset);
    CHECK(send_back.group == "poison_group");
  }
  CHECK(dead_lettered == std::set<std::int64_t>{FakeBroker::message(topic, 0, 1, "").commit_log_offset,
                                                FakeBroker::message(topic, 0, 3, "").commit_log_offset});
  CHECK(wait_until([&] { return consumer.stats().undecodable_dead_lettered == 2; }, 10s));
  // The queue went on past them: the committed offset is the end of the queue.
  consumer.shutdown();
  CHECK(broker.committed()[topic + ":0"] == 5);
}

TEST_CASE("a refused send-back falls back to a normal send to the retry topic with the original topic and counts",
          "[fake-broker][fault]") {
  const std::string topic = "TopicSendBack";
  FakeBroker broker;
  broker.add_record(topic, 0, 0, good_record(topic, 0, 0));
  broker.refuse_send_backs(true);

  rocketmq::PushConsumer consumer(option_for(broker, "sendback_group"));
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::make_unique<Recorder>(1));  // the first call fails
  consumer.start();

  REQUIRE(wait_until([&] { return !broker.sends().empty(); }, 30s));
  CHECK(broker.send_backs().size() == 1);  // tried first, refused
  const auto [header, body] = broker.sends().front();
  CHECK(header.topic == "%RETRY%sendback_group");
  CHECK(body == "good-0");
  CHECK(header.reconsume_times == 1);
  const auto properties = rocketmq::protocol::decode_properties(header.properties.value_or(""));
  CHECK(properties.at(rocketmq::protocol::message_property::kRetryTopic) == topic);
  CHECK(properties.at(rocketmq::protocol::message_property::kReconsumeTime) == "1");
  CHECK(properties.at(rocketmq::protocol::message_property::kDelayTimeLevel) == "3");
  CHECK(properties.count(rocketmq::protocol::message_property::kOriginMessageId) == 1);
  // Handed over: the queue's offset moves past the message.
  consumer.shutdown();
  CHECK(broker.committed()[topic + ":0"] == 1);
}

TEST_CASE("shutdown commits every broker in parallel, one that never answers costs one request timeout",
          "[fake-broker][fault]") {
  const std::string topic = "TopicCommits";
  FakeBroker broker_a(4, "broker-a");
  FakeBroker broker_b(4, "broker-b");
  broker_a.add_broker("broker-b", broker_b.address());
  for (auto* broker : {&broker_a, &broker_b}) {
    for (int queue_id = 0; queue_id < 4; ++queue_id) broker->add_record(topic, queue_id, 0, good_record(topic, queue_id, 0));
  }
  auto option = option_for(broker_a, "commit_group");
  option.set_persist_offset_interval(60s);  // only shutdown commits
  rocketmq::PushConsumer consumer(option);
  auto* recorder = start_recording(consumer, topic);
  REQUIRE(wait_until([&] { return recorder->bodies().size() >= 8; }, 30s));

  broker_b.ignore_commits(true);
  const auto b_requests_before = broker_b.commit_requests();
  const auto started = std::chrono::steady_clock::now();
  consumer.shutdown();
  const auto took = std::chrono::steady_clock::now() - started;
  INFO("shutdown took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
  // One 1 s request timeout for broker-b's first queue, then it is given up; committing its four
  // queues in turn would take 4 s.
  CHECK(took < 2500ms);
  CHECK(broker_b.commit_requests() - b_requests_before == 1);
  const auto committed = broker_a.committed();
  for (int queue_id = 0; queue_id < 4; ++queue_id) CHECK(committed.at(topic + ":" + std::to_string(queue_id)) == 1);
}


TEST_CASE("a black-holed broker holding pulls is probed, and consumption is back seconds after the hole, not at the "
          "pull timeout",
          "[fake-broker][fault]") {
  const std::string topic = "TopicBlackHole";
  FakeBroker broker(2, "broker-a");
  for (int queue_id = 0; queue_id < 2; ++queue_id) broker.add_record(topic, queue_id, 0, good_record(topic, queue_id, 0));
  auto option = option_for(broker, "black_hole_group");
  // Nothing periodic reaches the broker during the test (a synchronous request timing out on the
  // silent connection would close it too): only the probe can notice the hole.
  option.set_heartbeat_interval(60s);
  option.set_rebalance_interval(60s);
  option.set_persist_offset_interval(60s);
  option.set_route_refresh_interval(60s);
  rocketmq::PushConsumer consumer(option);
  auto* recorder = start_recording(consumer, topic);
  REQUIRE(wait_until([&] { return recorder->bodies().size() >= 2; }, 20s));

  broker.black_hole(true);
  // Stored during the hole: only pulls sent after it can bring them.
  for (int queue_id = 0; queue_id < 2; ++queue_id) broker.add_record(topic, queue_id, 1, good_record(topic, queue_id, 1));
  // The pulls in flight are dropped; the consumer asks the silent broker, gets no answer, sends its
  // pulls again on a new connection, and those are dropped too: two probe cycles in the hole.
  const bool probed = wait_until([&] { return consumer.stats().silent_broker_probes_unanswered >= 2; }, 15s);
  broker.black_hole(false);
  const auto hole_ended = std::chrono::steady_clock::now();
  const bool delivered = wait_until([&] { return recorder->bodies().size() >= 4; }, 40s, 20ms);
  const auto recovered =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - hole_ended);
  const auto stats = consumer.stats();
  INFO("consumption back " << recovered.count() << " ms after the hole; " << stats.silent_broker_probes << " probes, "
                           << stats.silent_broker_probes_unanswered << " unanswered; "
                           << broker.black_holed_requests() << " requests dropped");
  CHECK(probed);
  CHECK(broker.black_holed_max_offset_requests() >= 2);  // the probe is a GET_MAX_OFFSET
  CHECK(delivered);
  // A probe cycle: 0.5 s period + 1 s of silence + 1 s probe timeout + 0.1 s retry, about 2.6 s.
  // Without the probe the pulls dropped by the hole wait out their 30 s timeout.
  CHECK(recovered < 6s);
  consumer.shutdown();
}

TEST_CASE("orderly pulls never ask the broker to commit an offset but concurrent pulls do",
          "[fake-broker]") {
  // A broker runs pulls and offset updates on different thread pools and keeps the last commit it
  // ran: a pull carrying an older offset, run after an orderly hand-over's synchronous commit,
  // would move the group back and the next owner would deliver consumed messages again.
  const std::string topic = "TopicPullCommit";
  for (const bool orderly : {true, false}) {
    DYNAMIC_SECTION((orderly ? "orderly" : "concurrent")) {
      FakeBroker broker(2, "broker-a");
      for (int queue_id = 0; queue_id < 2; ++queue_id) {
        for (int offset = 0; offset < 5; ++offset) broker.add_record(topic, queue_id, offset, good_record(topic, queue_id, offset));
      }
      rocketmq::PushConsumer consumer(option_for(broker, orderly ? "pull_commit_orderly" : "pull_commit_concurrent"));
      consumer.subscribe(topic, "*");
      std::function<int()> consumed;
      if (orderly) {
        auto count = std::make_shared<std::atomic<int>>(0);
        consumed = [count] { return count->load(); };
        consumer.register_message_listener(std::make_unique<ListenerOf<rocketmq::MessageListenerOrderly>>(
            [count](const std::vector<rocketmq::MessageExt>& messages) {
              *count += static_cast<int>(messages.size());
              return rocketmq::ConsumeResult::Success;
            }));
      } else {
        auto listener = std::make_unique<Recorder>();
        auto* recorder = listener.get();
        consumed = [recorder] { return static_cast<int>(recorder->bodies().size()); };
        consumer.register_message_listener(std::move(listener));
      }
      consumer.start();
      REQUIRE(wait_until([&] { return consumed() >= 10; }, 30s));
      // Every queue drained: the pulls that follow would carry the consumed offsets.
      const auto pulls_then = broker.pull_requests();
      REQUIRE(wait_until([&] { return broker.pull_requests() >= pulls_then + 6; }, 30s));
      if (orderly) {
        CHECK(broker.pulls_with_commit() == 0);
      } else {
        CHECK(broker.pulls_with_commit() > 0);
      }
      consumer.shutdown();
    }
  }
}

TEST_CASE("route_refresh_interval sets how often a consumer reads its routes", "[fake-broker]") {
  const std::string topic = "TopicRouteRefresh";
  FakeBroker broker(1, "broker-a");
  auto option = option_for(broker, "route_refresh_group");
  option.set_route_refresh_interval(1s);
  rocketmq::PushConsumer consumer(option);
  consumer.subscribe(topic, "*");
  consumer.register_message_listener(std::make_unique<Recorder>());
  consumer.start();
  // Two topics (the subscription and %RETRY%<group>) each second; the default (30 s) would ask
  // once at start and not again within the wait.
  const auto asked_at_start = broker.route_requests();
  CHECK(wait_until([&] { return broker.route_requests() >= asked_at_start + 6; }, 10s));
  consumer.shutdown();
}
