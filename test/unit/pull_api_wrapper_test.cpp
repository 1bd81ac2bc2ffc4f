// PullAPIWrapper without a broker: the request it builds, the broker it asks (suggestions from
// responses, forgotten after a failure), and what it makes of a response (client-side filtering,
// retry-topic restore), through the fake client API.

#include "consumer/pull_api_wrapper.h"

#include <catch2/catch.hpp>
#include <future>
#include <memory>

#include "consumer/message_ext_data.h"
#include "filter/subscription.h"
#include "protocol/message_decoder.h"
#include "protocol/message_const.h"
#include "support/fake_mq_client_api.h"
#include "support/test_env.h"

namespace {

using rocketmq::MessageQueue;
using rocketmq::consumer::PullAPIWrapper;
using rocketmq::protocol::StoredMessage;

constexpr char kMaster[] = "10.0.0.1:10911";
constexpr char kSlave[] = "10.0.0.1:10921";

rocketmq::protocol::TopicRouteData route_with_slave() {
  rocketmq::protocol::TopicRouteData route;
  rocketmq::protocol::QueueData queue_data;
  queue_data.broker_name = "broker-a";
  queue_data.read_queue_nums = 4;
  queue_data.write_queue_nums = 4;
  queue_data.perm = 6;
  route.queue_datas.push_back(queue_data);
  rocketmq::protocol::BrokerData broker;
  broker.cluster = "DefaultCluster";
  broker.broker_name = "broker-a";
  broker.broker_addrs[0] = kMaster;
  broker.broker_addrs[1] = kSlave;
  route.broker_datas.push_back(broker);
  return route;
}

struct Fixture {
  rocketmq::test::FakeMQClientAPI* api = nullptr;
  std::shared_ptr<rocketmq::client::MQClientInstance> instance;
  std::unique_ptr<PullAPIWrapper> wrapper;
  std::string group = "G";

  explicit Fixture(bool clustering = true) {
    auto fake = std::make_unique<rocketmq::test::FakeMQClientAPI>();
    api = fake.get();
    api->set_topic_route("T", route_with_slave());
    rocketmq::client::ClientConfig config;
    config.name_server_addr = "127.0.0.1:9876";
    config.instance_name = rocketmq::test::unique_name("pullwrapper");
    instance = std::make_shared<rocketmq::client::MQClientInstance>(config, std::move(fake), nullptr);
    instance->update_topic_route("T");
    PullAPIWrapper::Settings settings;
    settings.group = group;
    settings.pull_batch_size = 17;
    settings.clustering = clustering;
    settings.timeout = std::chrono::milliseconds(4000);
    settings.broker_suspend_millis = 1500;
    settings.replica_suspend_millis = 700;
    wrapper = std::make_unique<PullAPIWrapper>(*instance, settings);
  }
  ~Fixture() {
    wrapper.reset();
    instance->shutdown();
  }
};

StoredMessage stored(const std::string& topic, std::int64_t offset, const std::string& tag) {
  StoredMessage message;
  message.topic = topic;
  message.queue_offset = offset;
  message.tags = tag;
  if (!tag.empty()) message.properties[rocketmq::protocol::message_property::kTags] = tag;
  message.msg_id = "ID" + std::to_string(offset);
  return message;
}

}  // namespace

TEST_CASE("pull requests carry the queue, the subscription and the right flags", "[pullwrapper]") {
  const MessageQueue queue{"T", "broker-a", 3};
  const auto subscription = rocketmq::filter::build_subscription("T", "TagA || TagB", rocketmq::ExpressionType::Tag);

  SECTION("clustering with a committed offset: commit, suspend and subscription flags") {
    Fixture fixture;
    const auto header = fixture.wrapper->build_request(queue, kMaster, 42, 40, subscription);
    CHECK(header.consumer_group == "G");
    CHECK(header.topic == "T");
    CHECK(header.queue_id == 3);
    CHECK(header.queue_offset == 42);
    CHECK(header.max_msg_nums == 17);
    CHECK(header.sys_flag == (PullAPIWrapper::kFlagCommitOffset | PullAPIWrapper::kFlagSuspend |
                              PullAPIWrapper::kFlagSubscription));
    CHECK(header.commit_offset == 40);
    CHECK(header.suspend_timeout_millis == 1500);
    CHECK(header.subscription == subscription.sub_string);
    CHECK(header.sub_version == subscription.sub_version);
    CHECK(header.expression_type == subscription.expression_type);
    CHECK(header.broker_name == std::optional<std::string>("broker-a"));
  }
  SECTION("a pull sent to a slave is held there for the shorter replica suspend") {
    // Reading from the slave while the master is gone: a long poll at the slave would hold the
    // queue there for the whole broker suspend after the master is back.
    Fixture fixture;
    CHECK(fixture.wrapper->build_request(queue, kSlave, 42, 40, subscription).suspend_timeout_millis == 700);
    CHECK(fixture.wrapper->build_request(queue, kMaster, 42, 40, subscription).suspend_timeout_millis ==
          1500);
    // The master gone from the route: the slave is all there is, and still gets the short hold.
    auto slave_only = route_with_slave();
    slave_only.broker_datas[0].broker_addrs.erase(0);
    fixture.api->set_topic_route("T", slave_only);
    fixture.instance->update_topic_route("T");
    CHECK(fixture.wrapper->pull_address(queue) == std::optional<std::string>(kSlave));
    CHECK(fixture.wrapper->build_request(queue, kSlave, 42, 40, subscription).suspend_timeout_millis == 700);
  }
  SECTION("nothing committed yet: no commit flag") {
    Fixture fixture;
    const auto header = fixture.wrapper->build_request(queue, kMaster, 0, 0, subscription);
    CHECK((header.sys_flag & PullAPIWrapper::kFlagCommitOffset) == 0);
    CHECK(header.commit_offset == 0);
  }
  SECTION("broadcasting never commits through pulls") {
    Fixture fixture(false);
    const auto header = fixture.wrapper->build_request(queue, kMaster, 9, 8, subscription);
    CHECK((header.sys_flag & PullAPIWrapper::kFlagCommitOffset) == 0);
  }
}

TEST_CASE("pulls follow the broker's suggestion and fall back to the master after a failure", "[pullwrapper]") {
  Fixture fixture;
  const MessageQueue queue{"T", "broker-a", 0};
  const MessageQueue other{"T", "broker-a", 1};
  const auto all = rocketmq::filter::build_subscription("T", "*", rocketmq::ExpressionType::Tag);
  CHECK(fixture.wrapper->pull_address(queue) == std::optional<std::string>(kMaster));

  rocketmq::client::PullResult result;
  result.status = rocketmq::client::PullStatus::NoNewMessage;
  result.suggest_which_broker_id = 1;
  fixture.wrapper->process(queue, result, all);
  CHECK(fixture.wrapper->suggested_broker_id(queue) == 1);
  CHECK(fixture.wrapper->pull_address(queue) == std::optional<std::string>(kSlave));
  CHECK(fixture.wrapper->pull_address(other) == std::optional<std::string>(kMaster));  // per queue

  fixture.wrapper->pull_failed(queue);
  CHECK(fixture.wrapper->pull_address(queue) == std::optional<std::string>(kMaster));

  fixture.wrapper->process(queue, result, all);
  fixture.wrapper->forget(queue);
  CHECK(fixture.wrapper->suggested_broker_id(queue) == 0);

  SECTION("an unknown broker has no address") {
    CHECK_FALSE(fixture.wrapper->pull_address(MessageQueue{"T", "broker-x", 0}).has_value());
  }
}

TEST_CASE("pull results are filtered on the client and retry messages get their topic back", "[pullwrapper]") {
  Fixture fixture;

  SECTION("tags the broker's hash filter let through are checked again") {
    const MessageQueue queue{"T", "broker-a", 0};
    const auto subscription = rocketmq::filter::build_subscription("T", "TagA", rocketmq::ExpressionType::Tag);
    rocketmq::client::PullResult result;
    result.status = rocketmq::client::PullStatus::Found;
    result.messages = {stored("T", 5, "TagA"), stored("T", 6, "TagB"), stored("T", 7, ""), stored("T", 8, "TagA")};
    const auto messages = fixture.wrapper->process(queue, result, subscription);
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].get_queue_offset() == 5);
    CHECK(messages[1].get_queue_offset() == 8);
    CHECK(messages[0].get_topic() == "T");
    CHECK(messages[0].get_tags() == "TagA");
    CHECK(result.messages.empty());
  }
  SECTION("an exclusion is applied only here") {
    const MessageQueue queue{"T", "broker-a", 0};
    const auto subscription = rocketmq::filter::build_subscription("T", "!(TagB)", rocketmq::ExpressionType::Tag);
    rocketmq::client::PullResult result;
    result.status = rocketmq::client::PullStatus::Found;
    result.messages = {stored("T", 1, "TagA"), stored("T", 2, "TagB"), stored("T", 3, "")};
    const auto messages = fixture.wrapper->process(queue, result, subscription);
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].get_queue_offset() == 1);
    CHECK(messages[1].get_queue_offset() == 3);
  }
  SECTION("the group's retry topic: messages carry the topic the application subscribed to") {
    const MessageQueue queue{"%RETRY%G", "broker-a", 0};
    const auto subscription = rocketmq::filter::build_subscription("%RETRY%G", "*", rocketmq::ExpressionType::Tag);
    rocketmq::client::PullResult result;
    result.status = rocketmq::client::PullStatus::Found;
    auto with_origin = stored("%RETRY%G", 0, "");
    with_origin.properties[rocketmq::protocol::message_property::kRetryTopic] = "Orders";
    auto without_origin = stored("%RETRY%G", 1, "");
    result.messages = {with_origin, without_origin};
    const auto messages = fixture.wrapper->process(queue, result, subscription);
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].get_topic() == "Orders");
    CHECK(messages[1].get_topic() == "%RETRY%G");
  }
  SECTION("another group's retry topic is left as it is") {
    const MessageQueue queue{"%RETRY%Other", "broker-a", 0};
    const auto subscription = rocketmq::filter::build_subscription("%RETRY%Other", "*", rocketmq::ExpressionType::Tag);
    rocketmq::client::PullResult result;
    result.status = rocketmq::client::PullStatus::Found;
    auto message = stored("%RETRY%Other", 0, "");
    message.properties[rocketmq::protocol::message_property::kRetryTopic] = "Orders";
    result.messages = {message};
    const auto messages = fixture.wrapper->process(queue, result, subscription);
    REQUIRE(messages.size() == 1);
    CHECK(messages[0].get_topic() == "%RETRY%Other");
  }
  SECTION("records decoded lazily are checked and delivered alike, and stay lazy under \"*\"") {
    const MessageQueue queue{"T", "broker-a", 0};
    std::string body;
    for (const auto& tag : {"TagA", "TagB", "TagA"}) {
      auto record = stored("T", static_cast<std::int64_t>(body.size()), tag);
      record.born_host.ip_bytes = std::string(4, '\x01');
      record.store_host.ip_bytes = std::string(4, '\x02');
      record.body = std::string("body-") + tag;
      body += rocketmq::protocol::encode_stored_message(record);
    }
    auto lazy_result = [&] {
      rocketmq::client::PullResult result;
      result.status = rocketmq::client::PullStatus::Found;
      result.buffer = std::make_shared<const std::string>(body);
      std::vector<rocketmq::protocol::RejectedRecord> rejected;
      result.messages = rocketmq::protocol::decode_messages_skipping_bad(
          *result.buffer, rejected, rocketmq::protocol::kDefaultMaxDecompressedSize,
          rocketmq::protocol::kDefaultMaxTotalDecompressedSize, rocketmq::protocol::kDefaultMaxMessagesPerResponse,
          true);
      return result;
    };
    auto tagged = lazy_result();
    const auto messages = fixture.wrapper->process(
        queue, tagged, rocketmq::filter::build_subscription("T", "TagA", rocketmq::ExpressionType::Tag));
    REQUIRE(messages.size() == 2);
    // The filter read the tags, not the body: no copy of it beside the buffer yet.
    CHECK(rocketmq::detail::MessageExtAccess::data(messages[0]).stored.body.empty());
    CHECK(messages[0].get_body() == "body-TagA");
    CHECK(messages[1].get_tags() == "TagA");
    auto everything = lazy_result();
    const auto all = fixture.wrapper->process(
        queue, everything, rocketmq::filter::build_subscription("T", "*", rocketmq::ExpressionType::Tag));
    REQUIRE(all.size() == 3);
    CHECK(rocketmq::detail::MessageExtAccess::data(all[1]).stored.body.empty());  // not read yet
    CHECK(all[1].get_body() == "body-TagB");
    CHECK(all[1].get_broker_name() == "broker-a");
  }
  SECTION("no messages unless the status is Found") {
    const MessageQueue queue{"T", "broker-a", 0};
    const auto subscription = rocketmq::filter::build_subscription("T", "*", rocketmq::ExpressionType::Tag);
    rocketmq::client::PullResult result;
    result.status = rocketmq::client::PullStatus::OffsetIllegal;
    result.messages = {stored("T", 1, "")};
    CHECK(fixture.wrapper->process(queue, result, subscription).empty());
  }
}

TEST_CASE("a pull is sent to the chosen broker with the configured timeout", "[pullwrapper]") {
  Fixture fixture;
  const MessageQueue queue{"T", "broker-a", 2};
  const auto subscription = rocketmq::filter::build_subscription("T", "*", rocketmq::ExpressionType::Tag);
  rocketmq::client::PullResult answer;
  answer.status = rocketmq::client::PullStatus::NoNewMessage;
  answer.next_begin_offset = 12;
  fixture.api->push_pull_result(queue, answer);
  std::promise<std::int64_t> next;
  const auto header = fixture.wrapper->build_request(queue, kMaster, 12, 0, subscription);
  fixture.wrapper->send(*fixture.wrapper->pull_address(queue), header,
                        [&next](rocketmq::client::PullResult&& result, std::exception_ptr error) {
                          next.set_value(error ? -1 : result.next_begin_offset);
                        });
  auto future = next.get_future();
  REQUIRE(future.wait_for(std::chrono::seconds(5)) == std::future_status::ready);
  CHECK(future.get() == 12);
  const auto calls = fixture.api->pull_calls();
  REQUIRE(calls.size() == 1);
  CHECK(calls[0].broker_addr == kMaster);
  CHECK(calls[0].timeout == std::chrono::milliseconds(4000));
  CHECK(calls[0].header.queue_offset == 12);
}
