// Regression tests for what fuzzing the decoders (test/fuzz) found, and for the limits the decoders
// need so that hostile or broken peers cannot overflow the stack or exhaust memory: one test per
// finding or limit, each small enough to run in the normal unit test suite.
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "filter/sql92.h"
#include "protocol/bodies/topic_route_data.h"
#include "protocol/compression.h"
#include "protocol/json_limits.h"
#include "protocol/lenient_json.h"
#include "protocol/message_const.h"
#include "protocol/message_decoder.h"
#include "protocol/message_encoder.h"
#include "protocol/stored_message.h"
#include "remoting/remoting_command.h"
#include "rocketmq/error.h"

using Catch::Contains;
using rocketmq::ProtocolError;
using namespace rocketmq::protocol;
namespace remoting = rocketmq::remoting;
namespace sql92 = rocketmq::filter::sql92;

namespace {

std::string repeat(const std::string& text, std::size_t times) {
  std::string out;
  out.reserve(text.size() * times);
  for (std::size_t i = 0; i < times; ++i) out += text;
  return out;
}

// A frame payload (after the length) with a JSON header.
std::string json_payload(const std::string& header) {
  std::string payload;
  const auto length = static_cast<std::uint32_t>(header.size());
  payload.push_back(0);  // serialize type JSON
  payload.push_back(static_cast<char>((length >> 16) & 0xFF));
  payload.push_back(static_cast<char>((length >> 8) & 0xFF));
  payload.push_back(static_cast<char>(length & 0xFF));
  return payload + header;
}

StoredMessage record_with_body(std::string body) {
  StoredMessage message;
  message.born_host = {std::string("\x7F\x00\x00\x01", 4), 1};
  message.store_host = {std::string("\x7F\x00\x00\x01", 4), 10911};
  message.topic = "T";
  message.body = std::move(body);
  return message;
}

StoredMessage compressed(StoredMessage message, CompressionType type) {
  message.body = compress(type, message.body, 1);
  message.sys_flag = sys_flag_with_compression(message.sys_flag, type);
  return message;
}

StoredMessage inner_batch_of(std::size_t count) {
  std::vector<OutgoingMessage> inner(count);
  StoredMessage outer = record_with_body(encode_batch_body(inner));
  outer.sys_flag = sys_flag::kInnerBatch | sys_flag::kNeedUnwrap;
  return outer;
}

std::string sql_error(const std::string& expression) {
  try {
    (void)sql92::Selector::parse(expression);
  } catch (const sql92::SyntaxError& error) {
    return error.reason();
  }
  return "parsed";
}

}  // namespace

// ---- JSON nesting --------------------------------------------------------------------------------

TEST_CASE("a JSON frame header nested without end is refused before RapidJSON recurses", "[remoting][fuzz]") {
  // 200000 levels overflowed the stack in RapidJSON's recursive parser.
  const std::string deep = R"({"code":0,"remark":)" + repeat("[", 200000) + repeat("]", 200000) + "}";
  CHECK_THROWS_WITH(remoting::decode_frame_payload(json_payload(deep)),
                    Contains("malformed JSON header") && Contains("nested deeper than 100 levels"));
  // The object itself is one level: 99 arrays inside it are exactly the limit.
  const std::string at_limit = R"({"code":0,"remark":)" + repeat("[", 99) + repeat("]", 99) + "}";
  CHECK(remoting::decode_frame_payload(json_payload(at_limit)).remark == repeat("[", 99) + repeat("]", 99));
  const std::string beyond = R"({"code":0,"remark":)" + repeat("[", 100) + repeat("]", 100) + "}";
  CHECK_THROWS_AS(remoting::decode_frame_payload(json_payload(beyond)), ProtocolError);
}

TEST_CASE("JSON bodies nested without end are refused with a ProtocolError", "[protocol][fuzz]") {
  const std::string deep = repeat(R"({"a":)", 200000) + "1" + repeat("}", 200000);
  CHECK_THROWS_WITH(parse_lenient_json(deep), Contains("nested deeper than 100 levels"));
  CHECK_THROWS_AS(TopicRouteData::decode(repeat("[", 500000)), ProtocolError);
  CHECK_THROWS_AS(TopicRouteData::decode(R"({"queueDatas":)" + repeat("[", 1000)), ProtocolError);
  CHECK(parse_lenient_json(repeat("[", 100) + repeat("]", 100)).IsArray());
  // Brackets inside strings, escaped quotes included, are not nesting.
  CHECK(parse_lenient_json(R"({"a":")" + repeat("[{\\\"", 1000) + R"("})").IsObject());
  CHECK_NOTHROW(require_json_depth(R"("\"[[[[")", "test", 1));
  CHECK_THROWS_WITH(require_json_depth("[[", "test", 1),
                    Contains("malformed JSON test") && Contains("offset 1"));
}

TEST_CASE("object keys nested in object keys are bounded, so the escaping cannot double per level",
          "[protocol][fuzz]") {
  // Each level of key inside key escaped everything below it once more: 30 levels were gigabytes.
  std::string key = R"({"brokerName":"a","queueId":0,"topic":"T"})";
  const std::string one_level = "{" + key + ":1}";
  CHECK(parse_lenient_json(one_level).MemberCount() == 1);
  const std::string two_levels = "{" + one_level + ":2}";
  const std::string normalized = normalize_fastjson(two_levels);
  CHECK(normalized.size() < 4 * two_levels.size());
  CHECK(parse_lenient_json(two_levels).MemberCount() == 1);
  CHECK_THROWS_WITH(parse_lenient_json("{" + two_levels + ":3}"),
                    Contains("object keys nested more than 2 deep"));
  std::string thirty = key;
  for (int i = 0; i < 30; ++i) thirty = "{" + thirty + ":" + std::to_string(i) + "}";
  CHECK_THROWS_AS(normalize_fastjson(thirty), ProtocolError);
}

TEST_CASE("a scalar JSON frame header is refused as not an object", "[remoting][fuzz]") {
  // The fuzzers' first input (header "9"): clang's UBSan flags RapidJSON 1.1 offsetting its
  // still-null parse stack here, which the fuzz build ignores (test/fuzz/ubsan_ignorelist.txt).
  const std::string payload("\x00\x00\x00\x01\x39\x00\x7e\x00\x00", 9);
  CHECK_THROWS_WITH(remoting::decode_frame_payload(payload), Contains("not an object"));
  CHECK(parse_lenient_json("9").IsInt());
  CHECK_THROWS_WITH(TopicRouteData::decode("9"), Contains("expected a JSON object"));
}

// ---- frame header integers -----------------------------------------------------------------------

TEST_CASE("JSON header numbers in strings beyond 32 bits are errors, not wrapped", "[remoting][fuzz]") {
  // "4294967296" used to become code 0 (SUCCESS) through a narrowing cast.
  CHECK_THROWS_WITH(remoting::decode_frame_payload(json_payload(R"({"code":"4294967296"})")),
                    Contains("\"code\" is not a 32-bit integer"));
  CHECK_THROWS_AS(remoting::decode_frame_payload(json_payload(R"({"code":0,"opaque":"-2147483649"})")),
                  ProtocolError);
  CHECK(remoting::decode_frame_payload(json_payload(R"({"code":"-2147483648","opaque":"2147483647"})"))
            .opaque == std::numeric_limits<std::int32_t>::max());
}

// ---- stored messages -----------------------------------------------------------------------------

TEST_CASE("decompressed bytes are bounded per response, not only per body", "[protocol][fuzz]") {
  // Five 1000-byte bodies, each within the per-body limit.
  std::string response;
  for (int i = 0; i < 5; ++i) {
    response +=
        encode_stored_message(compressed(record_with_body(std::string(1000, 'x')), CompressionType::kZstd));
  }
  CHECK(decode_messages(response, true, 1000, 5000).size() == 5);
  CHECK_THROWS_WITH(decode_messages(response, true, 1000, 4999),
                    Contains("decompressed bodies of one response exceed 4999 bytes in total"));
  // The per-body limit still applies on its own.
  CHECK_THROWS_WITH(decode_messages(response, true, 999, 5000),
                    Contains("decompressed body exceeds 999 bytes"));
  // A compressed inner batch counts once, with its whole decompressed size.
  const StoredMessage batch = compressed(inner_batch_of(100), CompressionType::kLz4);
  CHECK(decode_messages(encode_stored_message(batch), true, 2200, 2200).size() == 100);
  CHECK_THROWS_AS(decode_messages(encode_stored_message(batch), true, 2200, 2199), ProtocolError);
  CHECK(kDefaultMaxTotalDecompressedSize >= kDefaultMaxDecompressedSize);
}

TEST_CASE("a batch claiming a huge number of inner messages is refused before allocating them",
          "[protocol][fuzz]") {
  // 22-byte empty inner messages: 200000 of them compress to a few kilobytes but decoded into as
  // many StoredMessage objects.
  const StoredMessage huge = compressed(inner_batch_of(200000), CompressionType::kZstd);
  const std::string record = encode_stored_message(huge);
  CHECK(record.size() < 64 * 1024);
  CHECK_THROWS_WITH(decode_messages(record), Contains("more than 65536 messages in one response"));
  // The count covers inner and plain messages of the whole response.
  const std::string ten = encode_stored_message(inner_batch_of(10));
  CHECK(
      decode_messages(ten, true, kDefaultMaxDecompressedSize, kDefaultMaxTotalDecompressedSize, 10).size() ==
      10);
  CHECK_THROWS_AS(
      decode_messages(ten, true, kDefaultMaxDecompressedSize, kDefaultMaxTotalDecompressedSize, 9),
      ProtocolError);
  const std::string plain = encode_stored_message(record_with_body("a"));
  CHECK_THROWS_WITH(decode_messages(plain + plain + plain, true, kDefaultMaxDecompressedSize,
                                    kDefaultMaxTotalDecompressedSize, 2),
                    Contains("more than 2 messages"));
}

TEST_CASE("inner batch queue offsets wrap like Java longs instead of overflowing", "[protocol][fuzz]") {
  // queueOffset comes from the peer; outer + index was signed overflow (undefined behaviour).
  StoredMessage outer = inner_batch_of(2);
  outer.queue_offset = std::numeric_limits<std::int64_t>::max();
  const auto messages = decode_messages(encode_stored_message(outer));
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].queue_offset == std::numeric_limits<std::int64_t>::max());
  CHECK(messages[1].queue_offset == std::numeric_limits<std::int64_t>::min());
}

// ---- routes --------------------------------------------------------------------------------------

TEST_CASE("routes claiming billions of queues are refused instead of building them", "[protocol][fuzz]") {
  const std::string broker =
      R"("brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"a","cluster":"c"}])";
  auto route_with = [&](const std::string& queue_datas) {
    return TopicRouteData::decode("{" + broker + R"(,"queueDatas":[)" + queue_datas + "]}");
  };
  auto queue = [](std::int64_t read, std::int64_t write) {
    return R"({"brokerName":"a","perm":6,"readQueueNums":)" + std::to_string(read) + R"(,"writeQueueNums":)" +
           std::to_string(write) + "}";
  };
  CHECK_THROWS_WITH(route_with(queue(2147483647, 8)), Contains("more than 65536 queues in one route"));
  CHECK_THROWS_AS(route_with(queue(8, 2147483647)), ProtocolError);
  CHECK_THROWS_AS(route_with(queue(40000, 1) + "," + queue(1, 40000)), ProtocolError);
  const TopicRouteData at_limit = route_with(queue(32768, 32768) + "," + queue(32768, -5));
  CHECK(at_limit.subscribe_queues("T").size() == 65536);
  CHECK(at_limit.publish_queues("T").size() == 32768);
  CHECK(route_with(queue(-1, -1)).subscribe_queues("T").empty());

  // orderTopicConf is read when publishing: items beyond the limit are skipped like malformed ones.
  TopicRouteData ordered = route_with(queue(1, 1));
  ordered.order_topic_conf = "a:99999999999;b:2;c:65535";
  const auto publish = ordered.publish_queues("T");
  REQUIRE(publish.size() == 2);
  CHECK(publish[0].broker_name == "b");
}

// ---- SQL92 ---------------------------------------------------------------------------------------

TEST_CASE("deeply parenthesised SQL92 is refused instead of overflowing the stack", "[filter][fuzz]") {
  CHECK_THAT(sql_error(repeat("(", 100000) + "a" + repeat(")", 100000)),
             Contains("nested deeper than 100 levels"));
  CHECK_THAT(sql_error(repeat("NOT ", 100000) + "a"), Contains("nested deeper than 100 levels"));
  CHECK_THAT(sql_error(repeat("-", 100000) + "1 > 0"), Contains("nested deeper than 100 levels"));
  CHECK_THAT(sql_error("a BETWEEN " + repeat("+", 100000) + "1 AND 2"), Contains("nested deeper"));
  // Each parenthesis adds one level to the expression itself.
  const std::string at_limit = repeat("(", 99) + "a = 'x'" + repeat(")", 99);
  CHECK(sql92::Selector::parse(at_limit).matches({{"a", "x"}}));
  CHECK_THAT(sql_error("(" + at_limit + ")"), Contains("nested deeper"));
}

TEST_CASE("a run of minus signs without a line end lexes in linear time", "[filter][fuzz]") {
  // Every "--" searched the rest of the text for the line end that would make it a comment: 100000
  // minus signs took minutes. They still lex as minus signs, and a later line end still ends a comment.
  const std::string minuses = repeat("-", 200000);
  CHECK_THAT(sql_error(minuses + "1 > 0"), Contains("nested deeper"));
  CHECK_THAT(sql_error("a > 1 " + minuses), Contains("unexpected '-'"));
  CHECK(sql92::Selector::parse("a > 1 -- " + minuses + "\n AND b = 'x'").matches({{"a", "2"}, {"b", "x"}}));
  CHECK_THAT(sql_error("a > 1 -- no line end"), Contains("unexpected '-'"));
}

TEST_CASE("long SQL92 operator chains are bounded in depth", "[filter][fuzz]") {
  // A chain is built by a loop, not recursion, but evaluating and releasing it recursed per term.
  std::string chain = "a = '0'";
  for (int i = 1; i < 500; ++i) chain += " OR a = '" + std::to_string(i) + "'";
  CHECK(sql92::Selector::parse(chain).matches({{"a", "499"}}));
  std::string too_long = chain;
  for (int i = 500; i < 100000; ++i) too_long += " OR a = '" + std::to_string(i) + "'";
  CHECK_THAT(sql_error(too_long), Contains("deeper than 1000 operators"));
}

TEST_CASE("nested BETWEEN operands cannot make SQL92 evaluation exponential", "[filter][fuzz]") {
  // BETWEEN evaluates its operand twice; 40 nested levels were 2^40 evaluations per message.
  std::string expression = "a BETWEEN 1 AND 2";
  for (int i = 0; i < 40; ++i) expression = "-(" + expression + ") BETWEEN 1 AND 2";
  CHECK_THAT(sql_error(expression), Contains("larger than 100000 operands and operators"));
  std::string shallow = "a BETWEEN 1 AND 2";
  for (int i = 0; i < 5; ++i) shallow = "-(" + shallow + ") BETWEEN 1 AND 2";
  CHECK(sql92::Selector::parse(shallow).evaluate({{"a", "1"}}) == sql92::Result::Null);
}
