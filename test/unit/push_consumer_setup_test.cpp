#include <catch2/catch.hpp>

#include <chrono>

#include "rocketmq/rocketmq.h"

using Catch::Matchers::Contains;

namespace {

struct NoopListener : rocketmq::MessageListenerConcurrently {
  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>&) override {
    return rocketmq::ConsumeResult::Success;
  }
};

rocketmq::ConsumerOption option(const std::string& name_server) {
  rocketmq::ConsumerOption option;
  option.set_name_server_addr(name_server);
  option.set_group_name("setup_test_group");
  option.set_instance_name("setup_test");
  return option;
}

}  // namespace

TEST_CASE("push consumer setup errors are ClientErrors that name the problem", "[consumer][setup]") {
  SECTION("no listener") {
    rocketmq::PushConsumer consumer(option("127.0.0.1:1"));
    consumer.subscribe("TopicTest", "*");
    CHECK_THROWS_WITH(consumer.start(), Contains("no message listener"));
  }
  SECTION("no subscription") {
    rocketmq::PushConsumer consumer(option("127.0.0.1:1"));
    consumer.register_message_listener(std::make_unique<NoopListener>());
    CHECK_THROWS_WITH(consumer.start(), Contains("no subscription"));
  }
  SECTION("invalid topic and expression are refused by subscribe") {
    rocketmq::PushConsumer consumer(option("127.0.0.1:1"));
    CHECK_THROWS_AS(consumer.subscribe("bad topic", "*"), rocketmq::ClientError);
    CHECK_THROWS_AS(consumer.subscribe("TopicTest", "a = = b"), rocketmq::ClientError);
    CHECK_THROWS_AS(consumer.register_message_listener(std::unique_ptr<NoopListener>()), rocketmq::ClientError);
  }
  SECTION("an unreachable name server fails start() quickly instead of hanging") {
    rocketmq::PushConsumer consumer(option("127.0.0.1:1"));
    consumer.subscribe("TopicTest", "*");
    consumer.register_message_listener(std::make_unique<NoopListener>());
    const auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH(consumer.start(), Contains("cannot reach the name server 127.0.0.1:1"));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
    consumer.shutdown();  // harmless after a failed start
  }
  SECTION("start twice, and use after shutdown") {
    rocketmq::PushConsumer consumer(option("127.0.0.1:1"));
    consumer.shutdown();
    consumer.shutdown();
    CHECK_THROWS_WITH(consumer.start(), Contains("start() called twice, or after shutdown()"));
    CHECK_THROWS_WITH(consumer.subscribe("TopicTest", "*"), Contains("after shutdown"));
  }
}
