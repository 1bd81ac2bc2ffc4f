#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "consumer/message_ext_data.h"
#include "protocol/message_const.h"
#include "protocol/message_decoder.h"
#include "rocketmq/error.h"
#include "rocketmq/message.h"
#include "rocketmq/message_ext.h"

using rocketmq::ClientError;
using rocketmq::Message;
using rocketmq::MessageExt;
using rocketmq::detail::MessageExtAccess;
using rocketmq::detail::MessageExtData;

TEST_CASE("Message constructors set topic, tags and body", "[message]") {
  const Message plain("TopicTest", "hello");
  CHECK(plain.topic() == "TopicTest");
  CHECK(plain.body() == "hello");
  CHECK(plain.tags().empty());
  CHECK(plain.properties().empty());

  const Message tagged("TopicTest", "TagA", "hello");
  CHECK(tagged.tags() == "TagA");
  CHECK(tagged.property("TAGS") == "TagA");
  CHECK(tagged.body() == "hello");

  // An empty tag means "no tag", not an empty TAGS property.
  const Message untagged("TopicTest", "", "hello");
  CHECK_FALSE(untagged.has_property("TAGS"));

  Message empty;
  CHECK(empty.topic().empty());
  CHECK(empty.flag() == 0);
  empty.set_flag(7);
  empty.set_topic("T");
  empty.set_body(std::string("a\0b", 3));
  CHECK(empty.flag() == 7);
  CHECK(empty.topic() == "T");
  CHECK(empty.body().size() == 3);
}

TEST_CASE("Message tags and keys setters, empty removes", "[message]") {
  Message message("T", "b");
  message.set_tags("TagA");
  message.set_keys("order-1 order-2");
  CHECK(message.tags() == "TagA");
  CHECK(message.keys() == "order-1 order-2");
  CHECK(message.property("KEYS") == "order-1 order-2");
  message.set_tags("");
  message.set_keys("");
  CHECK_FALSE(message.has_property("TAGS"));
  CHECK_FALSE(message.has_property("KEYS"));
  CHECK_THROWS_WITH(message.set_tags("a\x01"
                                     "b"),
                    "invalid value of message property \"TAGS\": must not contain the bytes 0x01 or 0x02");
  CHECK_THROWS_AS(message.set_keys("a\x02"
                                   "b"),
                  ClientError);
}

TEST_CASE("Message delay level is stored as DELAY", "[message]") {
  Message message("T", "b");
  CHECK(message.delay_level() == 0);
  message.set_delay_level(3);
  CHECK(message.delay_level() == 3);
  CHECK(message.property("DELAY") == "3");
  // Brokers may configure more than the default 18 levels; the broker clamps.
  message.set_delay_level(40);
  CHECK(message.delay_level() == 40);
  message.set_delay_level(0);
  CHECK_FALSE(message.has_property("DELAY"));
  CHECK_THROWS_WITH(
      message.set_delay_level(-1),
      "delay level must be 0 (no delay) or a level of the broker's table (1..18 by default), got -1");
}

TEST_CASE("Message delivery timestamp is stored as TIMER_DELIVER_MS", "[message]") {
  Message message("T", "b");
  CHECK(message.delivery_timestamp() == 0);
  message.set_delivery_timestamp(1700000000123);
  CHECK(message.delivery_timestamp() == 1700000000123);
  CHECK(message.property("TIMER_DELIVER_MS") == "1700000000123");
  message.set_delivery_timestamp(0);
  CHECK_FALSE(message.has_property("TIMER_DELIVER_MS"));
  CHECK_THROWS_WITH(message.set_delivery_timestamp(-1),
                    "delivery timestamp must be 0 (none) or milliseconds since the epoch, got -1");
}

TEST_CASE("Message user properties", "[message]") {
  Message message("T", "b");
  message.set_property("region", "us-west");
  message.set_property("amount", "");
  CHECK(message.property("region") == "us-west");
  CHECK(message.has_property("amount"));
  CHECK(message.property("missing").empty());
  CHECK_FALSE(message.has_property("missing"));
  message.set_property("region", "eu");
  CHECK(message.property("region") == "eu");
  CHECK(message.properties().size() == 2);
  message.remove_property("region");
  CHECK_FALSE(message.has_property("region"));
  message.remove_property("region");  // removing an absent property is fine
}

TEST_CASE("Message refuses reserved property names in set_property", "[message]") {
  Message message("T", "b");
  for (const char* reserved : {"TAGS",
                               "KEYS",
                               "UNIQ_KEY",
                               "WAIT",
                               "DELAY",
                               "RETRY_TOPIC",
                               "REAL_TOPIC",
                               "REAL_QID",
                               "TRAN_MSG",
                               "PGROUP",
                               "MIN_OFFSET",
                               "MAX_OFFSET",
                               "TIMER_DELIVER_MS",
                               "TIMER_DELAY_MS",
                               "TIMER_DELAY_SEC",
                               "INNER_NUM",
                               "INNER_BASE",
                               "ORIGIN_MESSAGE_ID",
                               "RECONSUME_TIME",
                               "MAX_RECONSUME_TIMES",
                               "CONSUME_START_TIME",
                               "__transactionId__",
                               "TRANSACTION_CHECK_TIMES",
                               "CHECK_IMMUNITY_TIME_IN_SECONDS",
                               "CLUSTER",
                               "MSG_REGION",
                               "TRACE_ON",
                               "INSTANCE_ID",
                               "CORRELATION_ID",
                               "REPLY_TO_CLIENT",
                               "TTL",
                               "MSG_TYPE",
                               "__SHARDINGKEY",
                               "__CRC32#"}) {
    INFO(reserved);
    CHECK_THROWS_WITH(
        message.set_property(reserved, "x"),
        Catch::StartsWith("message property \"" + std::string(reserved) + "\" is reserved by RocketMQ"));
  }
  CHECK(message.properties().empty());
  // Names are case-sensitive on the broker: "tags" is an ordinary user property.
  CHECK_NOTHROW(message.set_property("tags", "x"));
  // The SDK itself may set them.
  message.set_system_property("UNIQ_KEY", "0A0000010001");
  CHECK(message.property("UNIQ_KEY") == "0A0000010001");
}

TEST_CASE("Message refuses property separators and empty names", "[message]") {
  Message message("T", "b");
  CHECK_THROWS_WITH(message.set_property("", "x"), "invalid message property name \"\": must not be empty");
  CHECK_THROWS_WITH(message.set_property("a\x01", "x"),
                    "invalid message property name \"a\x01\": must not contain the bytes 0x01 or 0x02");
  CHECK_THROWS_WITH(message.set_property("a\x02", "x"),
                    Catch::Contains("must not contain the bytes 0x01 or 0x02"));
  CHECK_THROWS_WITH(message.set_property("a", "x\x02y"),
                    "invalid value of message property \"a\": must not contain the bytes 0x01 or 0x02");
  CHECK_THROWS_AS(message.set_system_property("TAGS", "\x01"), ClientError);
  CHECK(message.properties().empty());
}

namespace {

std::shared_ptr<MessageExtData> sample_data() {
  auto data = std::make_shared<MessageExtData>();
  auto& stored = data->stored;
  stored.store_size = 321;
  stored.body_crc = 12345;
  stored.queue_id = 3;
  stored.flag = 9;
  stored.queue_offset = 42;
  stored.commit_log_offset = 0x1234;
  stored.sys_flag = 0x2;
  stored.born_timestamp = 1700000000000;
  stored.born_host.ip_bytes = std::string("\x0A\x00\x00\x01", 4);
  stored.born_host.port = 50000;
  stored.store_timestamp = 1700000000100;
  stored.store_host.ip_bytes = std::string("\x7F\x00\x00\x01", 4);
  stored.store_host.port = 10911;
  stored.reconsume_times = 2;
  stored.body = std::string(1000, 'x');
  stored.topic = "%RETRY%GID_test";
  stored.properties = {
      {"TAGS", "TagA"}, {"KEYS", "k1 k2"}, {"RETRY_TOPIC", "TopicTest"}, {"UNIQ_KEY", "UNIQ"}};
  stored.msg_id = "UNIQ";
  stored.offset_msg_id = "7F00000100002A9F0000000000001234";
  stored.tags = "TagA";
  stored.keys = "k1 k2";
  data->broker_name = "broker-a";
  data->topic = "TopicTest";
  return data;
}

}  // namespace

TEST_CASE("MessageExt exposes the stored message", "[message]") {
  const MessageExt message = MessageExtAccess::make(sample_data());
  CHECK(message.get_msg_id() == "UNIQ");
  CHECK(message.get_offset_msg_id() == "7F00000100002A9F0000000000001234");
  CHECK(message.get_topic() == "TopicTest");  // the original topic, not %RETRY%GID_test
  CHECK(MessageExtAccess::data(message).stored.topic == "%RETRY%GID_test");
  CHECK(message.get_tags() == "TagA");
  CHECK(message.get_keys() == "k1 k2");
  CHECK(message.get_body() == std::string(1000, 'x'));
  CHECK(message.get_property("RETRY_TOPIC") == "TopicTest");
  CHECK(message.get_property("missing").empty());
  CHECK(message.get_properties().size() == 4);
  CHECK(message.get_queue_id() == 3);
  CHECK(message.get_queue_offset() == 42);
  CHECK(message.get_commit_log_offset() == 0x1234);
  CHECK(message.get_reconsume_times() == 2);
  CHECK(message.get_born_timestamp() == 1700000000000);
  CHECK(message.get_store_timestamp() == 1700000000100);
  CHECK(message.get_born_host() == "10.0.0.1:50000");
  CHECK(message.get_store_host() == "127.0.0.1:10911");
  CHECK(message.get_broker_name() == "broker-a");
  CHECK(message.get_flag() == 9);
  CHECK(message.get_sys_flag() == 0x2);
  CHECK(message.get_store_size() == 321);
  CHECK(message.get_body_crc() == 12345);
}

TEST_CASE("MessageExt copies share one body", "[message]") {
  const MessageExt original = MessageExtAccess::make(sample_data());
  const MessageExt copy =
      original;  // NOLINT(performance-unnecessary-copy-initialization): the copy is the test
  CHECK(copy.get_body().data() == original.get_body().data());
  CHECK(&MessageExtAccess::data(copy) == &MessageExtAccess::data(original));

  MessageExt assigned;
  assigned = original;
  CHECK(assigned.get_body().data() == original.get_body().data());

  std::vector<MessageExt> batch(3, original);
  for (const auto& message : batch) CHECK(message.get_body().data() == original.get_body().data());
}

TEST_CASE("MessageExt default construction and moved-from objects are safe to read", "[message]") {
  const MessageExt empty;
  CHECK(empty.get_msg_id().empty());
  CHECK(empty.get_topic().empty());
  CHECK(empty.get_body().empty());
  CHECK(empty.get_tags().empty());
  CHECK(empty.get_properties().empty());
  CHECK(empty.get_property("TAGS").empty());
  CHECK(empty.get_queue_offset() == 0);
  CHECK(empty.get_broker_name().empty());
  CHECK_NOTHROW(empty.get_born_host());
  // Default-constructed messages share one empty data object.
  const MessageExt other_empty;
  CHECK(&MessageExtAccess::data(empty) == &MessageExtAccess::data(other_empty));
  CHECK(&MessageExtAccess::data(MessageExtAccess::make(nullptr)) == &MessageExtAccess::data(empty));

  MessageExt source = MessageExtAccess::make(sample_data());
  const char* body = source.get_body().data();
  MessageExt moved(std::move(source));
  CHECK(moved.get_body().data() == body);
  CHECK(source.get_body().empty());   // NOLINT(bugprone-use-after-move): moved-from state is specified
  CHECK(source.get_topic().empty());  // NOLINT(bugprone-use-after-move)

  MessageExt target;
  target = std::move(moved);
  CHECK(target.get_body().data() == body);
  CHECK(moved.get_msg_id().empty());  // NOLINT(bugprone-use-after-move)
}

TEST_CASE("MessageExt of a lazily decoded record materializes once, whichever thread reads first",
          "[message][lazy]") {
  rocketmq::protocol::StoredMessage record;
  record.queue_id = 2;
  record.queue_offset = 7;
  record.commit_log_offset = 0x99;
  record.born_host.ip_bytes = std::string("\x0A\x00\x00\x01", 4);
  record.store_host.ip_bytes = std::string("\x7F\x00\x00\x01", 4);
  record.store_host.port = 10911;
  record.body = std::string(300, 'b');
  record.topic = "LazyTopic";
  record.properties = {{rocketmq::protocol::message_property::kTags, "TagL"},
                       {rocketmq::protocol::message_property::kUniqKey, "UNIQ-LAZY"},
                       {"user", "value"}};
  const auto encoded = rocketmq::protocol::encode_stored_message(record);

  auto pulled = std::make_shared<rocketmq::detail::PulledMessages>();
  pulled->buffer = std::make_shared<const std::string>(encoded);
  std::vector<rocketmq::protocol::RejectedRecord> rejected;
  auto records = rocketmq::protocol::decode_messages_skipping_bad(
      *pulled->buffer, rejected, rocketmq::protocol::kDefaultMaxDecompressedSize,
      rocketmq::protocol::kDefaultMaxTotalDecompressedSize, rocketmq::protocol::kDefaultMaxMessagesPerResponse, true);
  REQUIRE(records.size() == 1);
  REQUIRE(records[0].lazy);
  pulled->items = std::vector<MessageExtData>(1);
  pulled->items[0].stored = std::move(records[0]);
  pulled->items[0].broker_name = "broker-l";
  MessageExt message = MessageExtAccess::make(std::shared_ptr<const MessageExtData>(pulled, &pulled->items[0]));
  const std::weak_ptr<rocketmq::detail::PulledMessages> block = pulled;
  pulled.reset();  // the message alone keeps the block (and the buffer) alive

  CHECK(MessageExtAccess::data(message).body_size() == 300);
  CHECK(message.get_queue_offset() == 7);
  const auto before = rocketmq::detail::materializations();
  CHECK(message.get_msg_id() == "UNIQ-LAZY");  // the header half: the body is not copied for it
  CHECK(MessageExtAccess::data(message).stored.body.empty());
  CHECK(rocketmq::detail::materializations() == before + 1);
  std::vector<std::thread> readers;
  std::vector<const std::string*> bodies(4);
  std::vector<std::string> ids(4);
  std::vector<std::string> values(4);
  for (std::size_t i = 0; i < bodies.size(); ++i) {
    readers.emplace_back([&, i] {  // Catch's assertions are not thread-safe: checked after the join
      bodies[i] = &message.get_body();
      ids[i] = message.get_msg_id();
      values[i] = message.get_property("user");
    });
  }
  for (auto& reader : readers) reader.join();
  for (const auto& id : ids) CHECK(id == "UNIQ-LAZY");
  for (const auto& value : values) CHECK(value == "value");
  for (const auto* body : bodies) CHECK(body == bodies[0]);
  CHECK(rocketmq::detail::materializations() == before + 2);  // the body half, once for four readers
  CHECK(*bodies[0] == std::string(300, 'b'));
  CHECK(message.get_topic() == "LazyTopic");
  CHECK(message.get_tags() == "TagL");
  CHECK(message.get_offset_msg_id() == "7F00000100002A9F0000000000000099");
  CHECK(message.get_broker_name() == "broker-l");

  // A copy of the data (what an orderly retry makes) owns its strings and no views.
  MessageExtData copy(MessageExtAccess::data(message));
  CHECK_FALSE(copy.stored.lazy);
  CHECK(copy.record().body == std::string(300, 'b'));
  CHECK(copy.body_size() == 300);
  CHECK_FALSE(block.expired());
  message = MessageExt();  // the last message of the pull: its block (and the buffer) goes
  CHECK(block.expired());
  CHECK(copy.record().topic == "LazyTopic");  // the copy owns its strings
}
