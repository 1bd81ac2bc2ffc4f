// Delivery timestamps (TIMER_DELIVER_MS) against the release under test: a 5.x broker's timer store
// holds the message until its time; a 4.x broker has none and would deliver it at once, so the
// producer refuses the send naming the broker's release. Sync, async and oneway sends alike.

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include "integration/consumer_support.h"
#include "rocketmq/producer.h"

using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using rocketmq::test::unique_name;

namespace {

std::int64_t now_millis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A message of `topic` due `after` from now.
rocketmq::Message due_in(const std::string& topic, std::chrono::milliseconds after) {
  rocketmq::Message message(topic, "timed", "due at a time");
  message.set_delivery_timestamp(now_millis() + after.count());
  return message;
}

}  // namespace

TEST_CASE("a delivery timestamp is honoured on 5.x and refused, naming the release, on 4.x",
          "[producer][consumer][cluster][timer]") {
  const auto topic = unique_name("it_timer");
  rocketmq::test::create_topic(topic, 4);
  rocketmq::Producer producer(rocketmq::test::cluster_producer_option("it_timer_p"));
  producer.start();

  if (rocketmq::test::broker_is_4x()) {
    auto refused = [](const std::string& what) {
      INFO("refusal: " << what);
      CHECK_THAT(what, Contains("before 5.0") && Contains("version ordinal") && Contains("delay level"));
    };
    try {
      producer.send(due_in(topic, 3s));
      FAIL("a sync send with a delivery timestamp was accepted by a 4.x broker");
    } catch (const rocketmq::ClientError& error) {
      refused(error.what());
    }
    try {
      producer.send_oneway(due_in(topic, 3s));
      FAIL("a oneway send with a delivery timestamp was accepted by a 4.x broker");
    } catch (const rocketmq::ClientError& error) {
      refused(error.what());
    }
    std::promise<std::string> answer;
    producer.send(due_in(topic, 3s), [&answer](const rocketmq::SendResult&, std::exception_ptr error) {
      try {
        if (error) std::rethrow_exception(error);
        answer.set_value("accepted");
      } catch (const std::exception& failure) {
        answer.set_value(failure.what());
      }
    });
    auto future = answer.get_future();
    REQUIRE(future.wait_for(30s) == std::future_status::ready);
    refused(future.get());
    // Nothing was stored: after one plain message the topic holds one message.
    producer.send(rocketmq::Message(topic, "plain", "now"));
    const auto rows = rocketmq::test::progress(unique_name("it_timer_probe_g"), topic);
    REQUIRE_FALSE(rows.empty());
    long long stored = 0;
    for (const auto& row : rows) stored += row.broker_offset;
    CHECK(stored == 1);
    producer.shutdown();
    return;
  }

  auto option = rocketmq::test::consumer_option(unique_name("it_timer_g"), unique_name("timer"));
  rocketmq::PushConsumer consumer(option);
  consumer.subscribe(topic, "*");
  auto listener = std::make_unique<rocketmq::test::RecordingListener>();
  auto* recorder = listener.get();
  consumer.register_message_listener(std::move(listener));
  consumer.start();

  // Due in 4 s: well past the timer wheel's 1 s precision, so early delivery shows.
  const auto due = due_in(topic, 4s);
  const std::int64_t due_at = due.delivery_timestamp();
  const auto sync_id = producer.send(due).msg_id;
  std::promise<std::string> async_sent;
  producer.send(due, [&async_sent](const rocketmq::SendResult& result, std::exception_ptr error) {
    async_sent.set_value(error ? std::string() : result.msg_id);
  });
  const auto async_id = async_sent.get_future().get();
  REQUIRE_FALSE(async_id.empty());
  producer.send_oneway(due);
  const auto plain_id = producer.send(rocketmq::Message(topic, "plain", "now")).msg_id;

  // Until the time (less the wheel's 1 s precision) only the plain message may come.
  std::size_t most_before_due = 0;
  while (now_millis() < due_at - 1000) {
    most_before_due = std::max(most_before_due, recorder->distinct());
    std::this_thread::sleep_for(20ms);
  }
  CHECK(most_before_due <= 1);
  REQUIRE(rocketmq::test::wait_until([&] { return recorder->distinct() >= 4; }, 60s));
  INFO("all four were in " << (now_millis() - due_at) << " ms after the time");
  CHECK(recorder->messages().front().get_msg_id() == plain_id);
  for (const auto& message : recorder->messages()) {
    if (message.get_msg_id() == plain_id) continue;
    CHECK(message.get_tags() == "timed");
  }
  const auto ids = recorder->deliveries();
  CHECK(ids.count(sync_id) == 1);
  CHECK(ids.count(async_id) == 1);
  consumer.shutdown();
  producer.shutdown();
}
