#include <catch2/catch.hpp>

#include <chrono>

#include "rocketmq/rocketmq.h"

using Catch::Matchers::Contains;

namespace {

rocketmq::ConsumerOption option(const std::string& name_server) {
  rocketmq::ConsumerOption option;
  option.set_name_server_addr(name_server);
  option.set_group_name("lite_setup_test_group");
  option.set_instance_name("lite_setup_test");
  return option;
}

}  // namespace

TEST_CASE("lite pull consumer setup errors are ClientErrors that name the problem", "[consumer][setup][lite-pull]") {
  SECTION("subscribe and assign exclude each other") {
    rocketmq::LitePullConsumer subscribed(option("127.0.0.1:1"));
    subscribed.subscribe("TopicTest", "*");
    CHECK_THROWS_WITH(subscribed.assign({{"TopicTest", "broker-a", 0}}), Contains("assign after subscribe()"));
    rocketmq::LitePullConsumer assigned(option("127.0.0.1:1"));
    assigned.assign({{"TopicTest", "broker-a", 0}});
    CHECK_THROWS_WITH(assigned.subscribe("TopicTest", "*"), Contains("subscribe after assign()"));
  }
  SECTION("invalid topics, expressions and queues are refused") {
    rocketmq::LitePullConsumer consumer(option("127.0.0.1:1"));
    CHECK_THROWS_AS(consumer.subscribe("bad topic", "*"), rocketmq::ClientError);
    CHECK_THROWS_AS(consumer.subscribe("TopicTest", "a = = b"), rocketmq::ClientError);
    CHECK_THROWS_WITH(consumer.assign({{"TopicTest", "", 0}}), Contains("names no broker"));
    CHECK_THROWS_WITH(consumer.assign({{"TopicTest", "broker-a", -1}}), Contains("negative queue id"));
  }
  SECTION("calls that need a started consumer say so") {
    rocketmq::LitePullConsumer consumer(option("127.0.0.1:1"));
    CHECK_THROWS_WITH(consumer.poll(std::chrono::milliseconds(1)), Contains("needs a started consumer"));
    CHECK_THROWS_WITH(consumer.commit(), Contains("needs a started consumer"));
    CHECK_THROWS_WITH(consumer.seek({"TopicTest", "broker-a", 0}, 0), Contains("needs a started consumer"));
    CHECK_THROWS_WITH(consumer.fetch_message_queues("TopicTest"), Contains("needs a started consumer"));
    CHECK(consumer.assignment().empty());
  }
  SECTION("an unreachable name server fails start() of a subscribed consumer quickly") {
    rocketmq::LitePullConsumer consumer(option("127.0.0.1:1"));
    consumer.subscribe("TopicTest", "*");
    const auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH(consumer.start(), Contains("cannot reach the name server 127.0.0.1:1"));
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(10));
    consumer.shutdown();  // harmless after a failed start
  }
  SECTION("start twice, and use after shutdown") {
    rocketmq::LitePullConsumer consumer(option("127.0.0.1:1"));
    consumer.shutdown();
    consumer.shutdown();
    CHECK_THROWS_WITH(consumer.start(), Contains("start() called twice, or after shutdown()"));
    CHECK_THROWS_WITH(consumer.assign({{"TopicTest", "broker-a", 0}}), Contains("after shutdown"));
    CHECK(consumer.poll(std::chrono::milliseconds(1)).empty());
  }
}
