#include <catch2/catch.hpp>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "protocol/compression.h"
#include "protocol/host_address.h"
#include "protocol/message_const.h"
#include "protocol/message_decoder.h"
#include "protocol/message_encoder.h"
#include "protocol/message_id.h"
#include "protocol/message_properties.h"
#include "protocol/stored_message.h"
#include "rocketmq/error.h"

namespace {

using rocketmq::ClientError;
using rocketmq::ProtocolError;
using namespace rocketmq::protocol;

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int value : values) out.push_back(static_cast<char>(value));
  return out;
}

HostAddress ipv4(int a, int b, int c, int d, std::int32_t port) { return {bytes({a, b, c, d}), port}; }

HostAddress ipv6_loopback(std::int32_t port) {
  return {bytes({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), port};
}

StoredMessage sample_message() {
  StoredMessage message;
  message.queue_id = 3;
  message.flag = 7;
  message.queue_offset = 16;
  message.commit_log_offset = 0x1234;
  message.born_timestamp = 0x100000002LL;
  message.born_host = ipv4(192, 168, 0, 1, 54321);
  message.store_timestamp = 0x100000003LL;
  message.store_host = ipv4(127, 0, 0, 1, 10911);
  message.reconsume_times = 1;
  message.body = "hi";
  message.topic = "T";
  message.properties = {{"TAGS", "A"}};
  return message;
}

// The record of sample_message(), laid out by hand from docs/protocol.md §6.1 (offsets in comments).
std::string hand_built_record() {
  std::string record;
  record += bytes({0x00, 0x00, 0x00, 0x65});                          // 0   TOTALSIZE 101
  record += bytes({0xDA, 0xA3, 0x20, 0xA7});                          // 4   MAGICCODE V1
  record += bytes({0x58, 0x93, 0x2A, 0xAC});                          // 8   BODYCRC crc32("hi") & 0x7FFFFFFF
  record += bytes({0x00, 0x00, 0x00, 0x03});                          // 12  QUEUEID
  record += bytes({0x00, 0x00, 0x00, 0x07});                          // 16  FLAG
  record += bytes({0, 0, 0, 0, 0, 0, 0x00, 0x10});                    // 20  QUEUEOFFSET 16
  record += bytes({0, 0, 0, 0, 0, 0, 0x12, 0x34});                    // 28  PHYSICALOFFSET 0x1234
  record += bytes({0x00, 0x00, 0x00, 0x00});                          // 36  SYSFLAG
  record += bytes({0, 0, 0, 0x01, 0, 0, 0, 0x02});                    // 40  BORNTIMESTAMP
  record += bytes({192, 168, 0, 1, 0x00, 0x00, 0xD4, 0x31});          // 48  BORNHOST :54321
  record += bytes({0, 0, 0, 0x01, 0, 0, 0, 0x03});                    // 56  STORETIMESTAMP
  record += bytes({127, 0, 0, 1, 0x00, 0x00, 0x2A, 0x9F});            // 64  STOREHOST :10911
  record += bytes({0x00, 0x00, 0x00, 0x01});                          // 72  RECONSUMETIMES
  record += bytes({0, 0, 0, 0, 0, 0, 0, 0});                          // 76  PREPARED TX OFFSET
  record += bytes({0x00, 0x00, 0x00, 0x02}) + "hi";                   // 84  BODY length + body
  record += bytes({0x01}) + "T";                                      // 90  TOPIC length + topic
  record += bytes({0x00, 0x07}) + "TAGS" + bytes({0x01}) + "A" + bytes({0x02});  // 92 PROPERTIES
  return record;
}

std::int32_t read_i32_at(const std::string& data, std::size_t offset) {
  std::uint32_t value = 0;
  for (std::size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(data[offset + i]);
  return static_cast<std::int32_t>(value);
}

bool is_upper_hex(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); });
}

// Every prefix of `body` must decode cleanly or throw ProtocolError; nothing else.
void check_every_prefix(const std::string& body) {
  for (std::size_t length = 0; length <= body.size(); ++length) {
    CAPTURE(length);
    try {
      (void)decode_messages(std::string_view(body).substr(0, length));
    } catch (const ProtocolError&) {
    }
  }
}

}  // namespace

TEST_CASE("the hand-built stored record decodes field by field", "[codec]") {
  const std::string record = hand_built_record();
  REQUIRE(record.size() == 101);

  const auto messages = decode_messages(record);
  REQUIRE(messages.size() == 1);
  const StoredMessage& message = messages[0];
  CHECK(message.store_size == 101);
  CHECK(message.body_crc == 0x58932AAC);
  CHECK(message.queue_id == 3);
  CHECK(message.flag == 7);
  CHECK(message.queue_offset == 16);
  CHECK(message.commit_log_offset == 0x1234);
  CHECK(message.sys_flag == 0);
  CHECK(message.born_timestamp == 0x100000002LL);
  CHECK(message.born_host.to_string() == "192.168.0.1:54321");
  CHECK(message.store_timestamp == 0x100000003LL);
  CHECK(message.store_host.to_string() == "127.0.0.1:10911");
  CHECK(message.reconsume_times == 1);
  CHECK(message.prepared_transaction_offset == 0);
  CHECK(message.body == "hi");
  CHECK(message.topic == "T");
  CHECK(message.properties == MessageProperties{{"TAGS", "A"}});
  CHECK(message.tags == "A");
  CHECK(message.keys.empty());
  CHECK(message.offset_msg_id == "7F00000100002A9F0000000000001234");
  CHECK(message.msg_id == message.offset_msg_id);  // no UNIQ_KEY

  CHECK(encode_stored_message(sample_message()) == record);
  CHECK(decode_message(record).body == "hi");
}

TEST_CASE("stored records round-trip, several in one body", "[codec]") {
  StoredMessage first = sample_message();
  first.properties[message_property::kUniqKey] = "0A0000010001000000000000000000AB";
  first.properties[message_property::kKeys] = "k1 k2";
  StoredMessage second = sample_message();
  second.body = std::string(1000, '\0') + "binary\x01\x02";
  second.topic = "%RETRY%group";
  second.queue_offset = 17;
  second.commit_log_offset = 0x1234 + 101;
  second.sys_flag = sys_flag::kTransactionPreparedType;
  second.prepared_transaction_offset = 99;
  second.properties.clear();

  const std::string body = encode_stored_message(first) + encode_stored_message(second);
  const auto messages = decode_messages(body);
  REQUIRE(messages.size() == 2);
  CHECK(messages[0].msg_id == "0A0000010001000000000000000000AB");
  CHECK(messages[0].offset_msg_id == "7F00000100002A9F0000000000001234");
  CHECK(messages[0].keys == "k1 k2");
  CHECK(messages[1].body == second.body);
  CHECK(messages[1].topic == "%RETRY%group");
  CHECK(messages[1].sys_flag == sys_flag::kTransactionPreparedType);
  CHECK(messages[1].prepared_transaction_offset == 99);
  CHECK(messages[1].properties.empty());
  CHECK(messages[1].tags.empty());
  CHECK(messages[1].msg_id == make_offset_msg_id(second.store_host, second.commit_log_offset));
  CHECK(decode_messages("").empty());
}

TEST_CASE("IPv6 hosts set the sysFlag bits and give 56-char offset msgIds", "[codec]") {
  StoredMessage message = sample_message();
  message.born_host = ipv6_loopback(1234);
  message.store_host = ipv6_loopback(10911);
  const std::string record = encode_stored_message(message);
  CHECK(record.size() == 101 + 12 + 12);
  CHECK(read_i32_at(record, 36) == (sys_flag::kBornHostV6 | sys_flag::kStoreHostV6));

  const StoredMessage decoded = decode_message(record);
  CHECK(decoded.born_host == message.born_host);
  CHECK(decoded.store_host == message.store_host);
  CHECK(decoded.store_host.to_string() == "[::1]:10911");
  CHECK(decoded.offset_msg_id == "0000000000000000000000000000000100002A9F0000000000001234");
  CHECK(decoded.body == "hi");

  // Only the born host in v6.
  message.store_host = ipv4(10, 0, 0, 2, 10911);
  const StoredMessage mixed = decode_message(encode_stored_message(message));
  CHECK(mixed.sys_flag == sys_flag::kBornHostV6);
  CHECK(mixed.store_host.to_string() == "10.0.0.2:10911");
  CHECK(mixed.offset_msg_id.size() == 32);
}

TEST_CASE("topics longer than 127 bytes use the V2 magic with an int16 length", "[codec]") {
  StoredMessage message = sample_message();
  message.topic = std::string(200, 't');
  const std::string record = encode_stored_message(message);
  CHECK(read_i32_at(record, 4) == kMessageMagicCodeV2);
  // Topic length sits after the 2-byte body at offset 90, as an int16.
  CHECK(static_cast<unsigned char>(record[90]) == 0);
  CHECK(static_cast<unsigned char>(record[91]) == 200);
  CHECK(decode_message(record).topic == message.topic);

  message.topic = std::string(127, 't');
  CHECK(read_i32_at(encode_stored_message(message), 4) == kMessageMagicCodeV1);

  // A V2 record with a short topic (legal, if unusual) decodes too.
  std::string v2 = hand_built_record();
  v2[7] = static_cast<char>(0xAB);
  v2.insert(90, 1, '\0');  // topic length 0x0001 as int16
  v2[3] = static_cast<char>(102);
  CHECK(decode_message(v2).topic == "T");
}

TEST_CASE("every prefix and every damaged byte of a record fails cleanly", "[codec]") {
  const std::string record = hand_built_record();
  check_every_prefix(record);
  check_every_prefix(record + record);
  for (std::size_t length = 1; length < record.size(); ++length) {
    CHECK_THROWS_AS(decode_messages(record.substr(0, length)), ProtocolError);
    CHECK_THROWS_AS(decode_message(record.substr(0, length)), ProtocolError);
  }
  for (std::size_t position = 0; position < record.size(); ++position) {
    for (int mask : {0x01, 0x80, 0xFF}) {
      std::string damaged = record;
      damaged[position] = static_cast<char>(damaged[position] ^ mask);
      try {
        (void)decode_messages(damaged);
      } catch (const ProtocolError&) {
      }
    }
  }
}

TEST_CASE("a TOTALSIZE that disagrees with the fields names the record offset", "[codec]") {
  const std::string record = hand_built_record();
  std::string body = record + record;
  body[101 + 3] = static_cast<char>(102);  // second record claims one byte more than remains
  CHECK_THROWS_WITH(decode_messages(body), Catch::Contains("offset 101") && Catch::Contains("exceeds"));

  body = record + record + "x";
  body[3] = static_cast<char>(102);  // first record claims a byte that belongs to the second
  CHECK_THROWS_WITH(decode_messages(body), Catch::Contains("offset 0"));
  CHECK_THROWS_AS(decode_messages(record + "xyz"), ProtocolError);

  body = record;
  body[3] = 0;  // TOTALSIZE 0 must not loop forever
  CHECK_THROWS_WITH(decode_messages(body), Catch::Contains("below the minimum"));

  body = record;
  body[85] = static_cast<char>(0x80);  // negative body length
  CHECK_THROWS_AS(decode_messages(body), ProtocolError);

  body = record;
  body[5] = 0;  // unknown magic
  CHECK_THROWS_WITH(decode_messages(body), Catch::Contains("magic"));
}

TEST_CASE("compressed bodies are decompressed by their sysFlag type", "[codec]") {
  const std::string plain = std::string(5000, 'a') + "tail";
  const auto type = GENERATE(CompressionType::kZlib, CompressionType::kLz4, CompressionType::kZstd);
  StoredMessage message = sample_message();
  message.body = compress(type, plain, type == CompressionType::kZstd ? 3 : 1);
  message.sys_flag = sys_flag_with_compression(0, type);
  const std::string record = encode_stored_message(message);

  const StoredMessage decoded = decode_message(record);
  CHECK(decoded.body == plain);
  CHECK(decoded.sys_flag == message.sys_flag);
  CHECK(decode_messages(record, false)[0].body == message.body);
  CHECK_THROWS_WITH(decode_messages(record, true, 100), Catch::Contains("exceeds"));

  // Corrupt compressed body: an error naming the algorithm, never an empty or partial body.
  StoredMessage corrupt = message;
  corrupt.body = "garbage that is not compressed at all";
  CHECK_THROWS_WITH(decode_messages(encode_stored_message(corrupt)),
                    Catch::Contains(compression_type_name(type)) && Catch::Contains("offset 0"));
  corrupt.body = message.body.substr(0, message.body.size() / 2);
  CHECK_THROWS_AS(decode_messages(encode_stored_message(corrupt)), ProtocolError);
}

TEST_CASE("compression type 0 with COMPRESSED_FLAG means zlib, unknown types are errors", "[codec]") {
  StoredMessage message = sample_message();
  message.body = compress(CompressionType::kZlib, "legacy body", 5);
  message.sys_flag = sys_flag::kCompressed;
  CHECK(decode_message(encode_stored_message(message)).body == "legacy body");
  message.sys_flag = sys_flag::kCompressed | 0x400;
  CHECK_THROWS_AS(decode_message(encode_stored_message(message)), ProtocolError);
}

TEST_CASE("inner batches are unwrapped with consecutive queue offsets", "[codec]") {
  std::vector<OutgoingMessage> inner(3);
  for (std::size_t i = 0; i < inner.size(); ++i) {
    inner[i].topic = "T";
    inner[i].body = "body-" + std::to_string(i);
    inner[i].flag = static_cast<std::int32_t>(i);
    inner[i].properties = {{"TAGS", "tag" + std::to_string(i)}};
  }
  inner[1].properties[message_property::kUniqKey] = "UNIQ1";

  StoredMessage outer = sample_message();
  outer.queue_offset = 100;
  outer.body = encode_batch_body(inner);
  outer.sys_flag = sys_flag::kInnerBatch | sys_flag::kNeedUnwrap;
  outer.properties = {{message_property::kInnerNum, "3"}};

  auto check_unwrapped = [&](const std::vector<StoredMessage>& messages) {
    REQUIRE(messages.size() == 4);  // three inner messages, then the trailing plain record
    for (std::size_t i = 0; i < 3; ++i) {
      CAPTURE(i);
      CHECK(messages[i].body == inner[i].body);
      CHECK(messages[i].flag == inner[i].flag);
      CHECK(messages[i].topic == "T");
      CHECK(messages[i].queue_id == 3);
      CHECK(messages[i].queue_offset == 100 + static_cast<std::int64_t>(i));
      CHECK(messages[i].tags == "tag" + std::to_string(i));
      CHECK(messages[i].store_host == outer.store_host);
      CHECK(messages[i].offset_msg_id == "7F00000100002A9F0000000000001234");
      CHECK((messages[i].sys_flag & sys_flag::kNeedUnwrap) == 0);
    }
    CHECK(messages[0].msg_id == "7F00000100002A9F0000000000001234");
    CHECK(messages[1].msg_id == "UNIQ1");
    CHECK(messages[3].body == "hi");
  };
  check_unwrapped(decode_messages(encode_stored_message(outer) + hand_built_record()));

  // A compressed inner batch is decompressed first, then unwrapped.
  StoredMessage compressed = outer;
  compressed.body = compress(CompressionType::kZstd, outer.body, 3);
  compressed.sys_flag = sys_flag_with_compression(outer.sys_flag, CompressionType::kZstd);
  check_unwrapped(decode_messages(encode_stored_message(compressed) + hand_built_record()));
  // Without decompression the batch stays wrapped.
  CHECK(decode_messages(encode_stored_message(compressed), false).size() == 1);

  // Only one of the two flags: no unwrapping.
  outer.sys_flag = sys_flag::kInnerBatch;
  CHECK(decode_messages(encode_stored_message(outer)).size() == 1);
  // decode_message never unwraps.
  outer.sys_flag = sys_flag::kInnerBatch | sys_flag::kNeedUnwrap;
  CHECK(decode_message(encode_stored_message(outer)).body == outer.body);

  // A damaged inner TOTALSIZE is an error.
  std::string bad_batch = encode_batch_body(inner);
  bad_batch[3] = static_cast<char>(bad_batch[3] + 1);
  outer.body = bad_batch;
  CHECK_THROWS_WITH(decode_messages(encode_stored_message(outer)), Catch::Contains("inner message 0"));
  outer.body = encode_batch_body(inner).substr(0, 20);
  CHECK_THROWS_AS(decode_messages(encode_stored_message(outer)), ProtocolError);
}

TEST_CASE("batch body layout matches MessageDecoder.encodeMessages", "[codec]") {
  OutgoingMessage message;
  message.topic = "T";
  message.body = "ab";
  message.flag = 5;
  message.properties = {{"TAGS", "x"}};
  const std::string expected = bytes({0, 0, 0, 31}) +          // totalSize 4+4+4+4+4+2+2+7
                               bytes({0, 0, 0, 0}) +           // magic code 0
                               bytes({0, 0, 0, 0}) +           // body CRC 0
                               bytes({0, 0, 0, 5}) +           // flag
                               bytes({0, 0, 0, 2}) + "ab" +    // body
                               bytes({0, 7}) + "TAGS\x01x\x02";  // properties
  CHECK(encode_batch_body({message}) == expected);
  CHECK(encode_batch_body({message, message}) == expected + expected);
  CHECK(encode_batch_body({}).empty());

  OutgoingMessage huge = message;
  huge.properties = {{"K", std::string(40000, 'v')}};
  CHECK_THROWS_AS(encode_batch_body({huge}), ClientError);
}

TEST_CASE("properties encode with separators and decode with the Java rules", "[codec]") {
  const MessageProperties properties{{"TAGS", "TagA"}, {"KEYS", "k1 k2"}, {"UNIQ_KEY", "ABC"}};
  const std::string encoded = encode_properties(properties);
  CHECK(encoded == "KEYS\x01k1 k2\x02TAGS\x01TagA\x02UNIQ_KEY\x01" "ABC\x02");
  CHECK(decode_properties(encoded) == properties);
  CHECK(encode_properties({}).empty());
  CHECK(decode_properties("").empty());

  // Missing trailing separator.
  CHECK(decode_properties("a\x01" "b\x02" "c\x01" "d") == MessageProperties{{"a", "b"}, {"c", "d"}});
  // Short segments, empty names, empty values and segments without 0x01 are skipped.
  CHECK(decode_properties("\x02\x02" "ab\x02" "\x01xy\x02" "k\x01\x02" "noseparator\x02" "k\x01v\x02") ==
        MessageProperties{{"k", "v"}});
  CHECK(decode_properties("a\x01").empty());
  // Only the first 0x01 splits name and value, so a value may be a lone 0x01.
  CHECK(decode_properties("x\x01\x01") == MessageProperties{{"x", "\x01"}});
  // The value runs from the first 0x01 to the segment end and may contain 0x01.
  CHECK(decode_properties("k\x01v\x01w\x02") == MessageProperties{{"k", "v\x01w"}});
  // The later of two duplicates wins, like Java's HashMap.put.
  CHECK(decode_properties("k\x01one\x02k\x01two\x02") == MessageProperties{{"k", "two"}});

  CHECK_THROWS_AS(encode_properties({{"", "v"}}), ClientError);
  CHECK_THROWS_AS(encode_properties({{"k", "a\x02" "b"}}), ClientError);
  CHECK_THROWS_AS(encode_properties({{"k\x01", "v"}}), ClientError);
}

TEST_CASE("offset msgIds follow UtilAll.bytes2string", "[codec]") {
  const HostAddress host = ipv4(127, 0, 0, 1, 10911);
  CHECK(make_offset_msg_id(host, 0x1234) == "7F00000100002A9F0000000000001234");

  const OffsetMessageId decoded = decode_offset_msg_id("7F00000100002A9F0000000000001234");
  CHECK(decoded.store_host == host);
  CHECK(decoded.commit_log_offset == 0x1234);
  CHECK(decode_offset_msg_id("7f00000100002a9f0000000000001234").commit_log_offset == 0x1234);

  const HostAddress v6 = ipv6_loopback(10911);
  const std::string v6_id = make_offset_msg_id(v6, -1);
  CHECK(v6_id == "0000000000000000000000000000000100002A9FFFFFFFFFFFFFFFFF");
  CHECK(decode_offset_msg_id(v6_id).store_host == v6);
  CHECK(decode_offset_msg_id(v6_id).commit_log_offset == -1);

  CHECK_THROWS_AS(decode_offset_msg_id(""), ProtocolError);
  CHECK_THROWS_AS(decode_offset_msg_id("7F00000100002A9F000000000000123"), ProtocolError);
  CHECK_THROWS_AS(decode_offset_msg_id("7F00000100002A9F000000000000123G"), ProtocolError);
  CHECK_THROWS_AS(make_offset_msg_id({"abc", 1}, 0), ClientError);
  CHECK(HostAddress{"abc", 1}.to_string() == "<invalid>:1");
}

TEST_CASE("UNIQ_KEY ids follow the Java layout and are unique", "[codec]") {
  UniqueIdGenerator generator(bytes({10, 0, 0, 1}));
  char pid_hex[5];
  std::snprintf(pid_hex, sizeof(pid_hex), "%04X", static_cast<unsigned>(getpid()) & 0xFFFFu);
  CHECK(generator.prefix().size() == 20);  // 4 ip + 2 pid + 4 random bytes
  CHECK(generator.prefix().substr(0, 12) == std::string("0A000001") + pid_hex);

  std::set<std::string> ids;
  std::string previous;
  for (int i = 0; i < 10000; ++i) {
    std::string id = generator.next();
    REQUIRE(id.size() == 32);
    REQUIRE(is_upper_hex(id));
    REQUIRE(id.compare(0, 20, generator.prefix()) == 0);
    if (!previous.empty()) {
      // The trailing int16 counter advances by one per id.
      const auto counter = std::stoul(id.substr(28), nullptr, 16);
      const auto previous_counter = std::stoul(previous.substr(28), nullptr, 16);
      REQUIRE(counter == ((previous_counter + 1) & 0xFFFFu));
    }
    // Milliseconds since the start of the month: at most 31 days.
    REQUIRE(std::stoul(id.substr(20, 8), nullptr, 16) <= 31UL * 24 * 3600 * 1000);
    previous = id;
    ids.insert(std::move(id));
  }
  CHECK(ids.size() == 10000);

  CHECK_THROWS_AS(UniqueIdGenerator("abc"), ClientError);
  CHECK(UniqueIdGenerator(std::string(16, '\x01')).next().size() == 56);
  CHECK(UniqueIdGenerator::instance().next().size() == 32);
}

TEST_CASE("UNIQ_KEY ids stay unique across threads", "[codec]") {
  UniqueIdGenerator generator(bytes({10, 0, 0, 1}));
  std::vector<std::vector<std::string>> per_thread(4);
  std::vector<std::thread> threads;
  for (auto& ids : per_thread) {
    threads.emplace_back([&generator, &ids] {
      for (int i = 0; i < 2500; ++i) ids.push_back(generator.next());
    });
  }
  for (auto& thread : threads) thread.join();
  std::set<std::string> all;
  for (const auto& ids : per_thread) all.insert(ids.begin(), ids.end());
  CHECK(all.size() == 10000);
}

TEST_CASE("a push consumer's decode skips bad records and reports them with their offsets", "[codec][poison]") {
  auto good = [](std::int64_t offset) {
    StoredMessage message = sample_message();
    message.queue_offset = offset;
    message.commit_log_offset = 1000 + offset;
    message.body = "good-" + std::to_string(offset);
    return encode_stored_message(message);
  };
  SECTION("a corrupt compressed body and one that decompresses past the limit, among good ones") {
    StoredMessage corrupt = sample_message();
    corrupt.queue_offset = 11;
    corrupt.commit_log_offset = 1011;
    corrupt.sys_flag = sys_flag_with_compression(0, CompressionType::kZlib);
    corrupt.body = "definitely not zlib";
    StoredMessage bomb = sample_message();
    bomb.queue_offset = 12;
    bomb.commit_log_offset = 1012;
    bomb.sys_flag = sys_flag_with_compression(0, CompressionType::kZlib);
    bomb.body = compress(CompressionType::kZlib, std::string(1 << 20, 'x'), 9);
    const std::string body =
        good(10) + encode_stored_message(corrupt) + encode_stored_message(bomb) + good(13);
    std::vector<RejectedRecord> rejected;
    const auto messages = decode_messages_skipping_bad(body, rejected, 64 * 1024);
    REQUIRE(messages.size() == 2);
    CHECK(messages[0].body == "good-10");
    CHECK(messages[1].body == "good-13");
    REQUIRE(rejected.size() == 2);
    CHECK(rejected[0].queue_offset == 11);
    CHECK(rejected[0].commit_log_offset == 1011);
    CHECK(rejected[1].queue_offset == 12);
    CHECK(rejected[1].commit_log_offset == 1012);
    CHECK_THAT(rejected[1].reason, Catch::Contains("byte"));
    // The strict decoder refuses the same body as a whole.
    CHECK_THROWS_AS(decode_messages(body, true, 64 * 1024), ProtocolError);
  }
  SECTION("an unknown magic code in the middle") {
    std::string bad = good(21);
    bad[4] = 0x11;  // MAGICCODE
    std::vector<RejectedRecord> rejected;
    const auto messages = decode_messages_skipping_bad(good(20) + bad + good(22), rejected);
    REQUIRE(messages.size() == 2);
    CHECK(messages[1].queue_offset == 22);
    REQUIRE(rejected.size() == 1);
    CHECK(rejected[0].queue_offset == 21);
  }
  SECTION("a TOTALSIZE that cannot be trusted ends the body there") {
    std::string bad = good(31);
    bad[0] = 0x7f;  // TOTALSIZE far past the end
    std::vector<RejectedRecord> rejected;
    const auto messages = decode_messages_skipping_bad(good(30) + bad + good(32), rejected);
    REQUIRE(messages.size() == 1);
    REQUIRE(rejected.size() == 1);
    CHECK(rejected[0].queue_offset == -1);
    CHECK_THAT(rejected[0].reason, Catch::Contains("TOTALSIZE"));
  }
}

TEST_CASE("a lazy decode defers the strings of plain records and materializes what an eager one gives",
          "[codec][lazy]") {
  StoredMessage plain = sample_message();
  plain.properties = {{"TAGS", "A"}, {"KEYS", "k1 k2"}, {message_property::kUniqKey, "UNIQ-PLAIN"}};
  StoredMessage without_uniq_key = sample_message();
  without_uniq_key.queue_offset = 17;
  without_uniq_key.commit_log_offset = 0x2000;
  StoredMessage compressed = sample_message();
  compressed.queue_offset = 18;
  compressed.sys_flag = sys_flag_with_compression(0, CompressionType::kZlib);
  compressed.body = compress(CompressionType::kZlib, std::string(500, 'z'), 6);
  std::vector<OutgoingMessage> inner(2);
  for (auto& message : inner) {
    message.topic = "T";
    message.body = "inner";
  }
  StoredMessage batch = sample_message();
  batch.queue_offset = 19;
  batch.body = encode_batch_body(inner);
  batch.sys_flag = sys_flag::kInnerBatch | sys_flag::kNeedUnwrap;
  const std::string body = encode_stored_message(plain) + encode_stored_message(without_uniq_key) +
                           encode_stored_message(compressed) + encode_stored_message(batch);

  std::vector<RejectedRecord> rejected;
  auto lazy = decode_messages_skipping_bad(body, rejected, kDefaultMaxDecompressedSize,
                                           kDefaultMaxTotalDecompressedSize, kDefaultMaxMessagesPerResponse, true);
  const auto eager = decode_messages_skipping_bad(body, rejected);
  REQUIRE(rejected.empty());
  REQUIRE(lazy.size() == 5);
  REQUIRE(eager.size() == 5);
  // Plain records leave their strings in the buffer; compressed ones and inner batches do not.
  CHECK(lazy[0].lazy);
  CHECK(lazy[1].lazy);
  CHECK_FALSE(lazy[2].lazy);
  CHECK_FALSE(lazy[3].lazy);
  CHECK_FALSE(lazy[4].lazy);
  CHECK(lazy[0].body.empty());
  CHECK(lazy[0].properties.empty());
  CHECK(lazy[0].msg_id.empty());
  CHECK(lazy[0].body_size() == 2);
  CHECK(lazy[0].lazy_body.data() >= body.data());
  CHECK(lazy[0].lazy_body.data() < body.data() + body.size());
  // The fixed fields are there at once.
  CHECK(lazy[1].queue_offset == 17);
  CHECK(lazy[1].commit_log_offset == 0x2000);
  CHECK(lazy[0].store_host == plain.store_host);
  CHECK(lazy[0].born_timestamp == plain.born_timestamp);

  for (std::size_t i = 0; i < lazy.size(); ++i) {
    CAPTURE(i);
    materialize_lazy_fields(lazy[i]);
    CHECK(lazy[i].body == eager[i].body);
    CHECK(lazy[i].body_size() == eager[i].body.size());
    CHECK(lazy[i].topic == eager[i].topic);
    CHECK(lazy[i].properties == eager[i].properties);
    CHECK(lazy[i].msg_id == eager[i].msg_id);
    CHECK(lazy[i].offset_msg_id == eager[i].offset_msg_id);
    CHECK(lazy[i].tags == eager[i].tags);
    CHECK(lazy[i].keys == eager[i].keys);
    CHECK(lazy[i].queue_offset == eager[i].queue_offset);
    CHECK(lazy[i].sys_flag == eager[i].sys_flag);
  }
  CHECK(lazy[0].msg_id == "UNIQ-PLAIN");
  CHECK(lazy[0].keys == "k1 k2");
  CHECK(lazy[1].msg_id == lazy[1].offset_msg_id);
  CHECK(lazy[2].body == std::string(500, 'z'));
}
