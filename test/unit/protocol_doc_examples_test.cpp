// Keeps docs/protocol.md and the code in step: every example block of the document (marked
// `<!-- example: name -->`) is rebuilt here with our encoders and compared byte for byte, and every
// "§N" a comment in src/ or include/ cites must be a numbered heading of the document.

#include <catch2/catch.hpp>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "common/java_hash.h"
#include "protocol/bodies/client_bodies.h"
#include "protocol/bodies/consumer_running_info.h"
#include "protocol/bodies/heartbeat_data.h"
#include "protocol/bodies/lock_batch_body.h"
#include "protocol/bodies/reset_offset_body.h"
#include "protocol/bodies/topic_route_data.h"
#include "protocol/compression.h"
#include "protocol/headers.h"
#include "protocol/lenient_json.h"
#include "protocol/message_const.h"
#include "protocol/message_decoder.h"
#include "protocol/message_encoder.h"
#include "protocol/message_id.h"
#include "protocol/message_properties.h"
#include "protocol/request_code.h"
#include "protocol/stored_message.h"
#include "remoting/remoting_command.h"

namespace {

namespace fs = std::filesystem;
using namespace rocketmq::protocol;
using rocketmq::remoting::encode_frame;
using rocketmq::remoting::LanguageCode;
using rocketmq::remoting::RemotingCommand;
using rocketmq::remoting::SerializeType;

const fs::path kSourceDir = ROCKETMQ_SOURCE_DIR;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

const std::string& protocol_doc() {
  static const std::string text = read_text(kSourceDir / "docs" / "protocol.md");
  return text;
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The lines of the fenced block that follows `<!-- example: name -->`.
std::vector<std::string> example_lines(const std::string& name) {
  const std::string marker = "<!-- example: " + name + " -->";
  const std::string& doc = protocol_doc();
  const auto at = doc.find(marker);
  INFO("example " << name);
  REQUIRE(at != std::string::npos);
  REQUIRE(doc.find(marker, at + 1) == std::string::npos);  // names are unique
  const auto fence = doc.find("```", at);
  REQUIRE(fence != std::string::npos);
  const auto start = doc.find('\n', fence) + 1;
  const auto end = doc.find("\n```", start - 1);
  REQUIRE(end != std::string::npos);
  return split_lines(doc.substr(start, end - start));
}

// A text example: its lines joined without separators.
std::string example_text(const std::string& name) {
  std::string text;
  for (const auto& line : example_lines(name)) text += line;
  return text;
}

// A hex example: per line, the hex digits before the first run of two spaces (the comment).
std::string example_bytes(const std::string& name) {
  std::string hex;
  for (const auto& line : example_lines(name)) {
    const auto comment = line.find("  ");
    for (char c : line.substr(0, comment)) {
      if (c == ' ') continue;
      INFO("example " << name << ", line: " << line);
      REQUIRE(std::isxdigit(static_cast<unsigned char>(c)));
      hex.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
  }
  REQUIRE(hex.size() % 2 == 0);
  std::string bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    bytes.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return bytes;
}

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

// The route query exactly as RemotingMQClientAPI::get_topic_route builds it, with opaque 1.
RemotingCommand route_query() {
  auto request = RemotingCommand::request(static_cast<std::int32_t>(RequestCode::kGetRouteInfoByTopic));
  GetRouteInfoRequestHeader header;
  header.topic = "TopicTest";
  header.accept_standard_json_only = true;
  header.encode(request.ext_fields);
  request.opaque = 1;
  return request;
}

StoredMessage stored_example() {
  StoredMessage message;
  message.queue_id = 3;
  message.flag = 7;
  message.queue_offset = 16;
  message.commit_log_offset = 0x1234;
  message.born_timestamp = 0x100000002LL;
  message.born_host = {std::string("\xC0\xA8\x00\x01", 4), 54321};
  message.store_timestamp = 0x100000003LL;
  message.store_host = {std::string("\x7F\x00\x00\x01", 4), 10911};
  message.reconsume_times = 1;
  message.body = "hi";
  message.topic = "T";
  message.properties = {{"TAGS", "A"}};
  return message;
}

SubscriptionData tag_subscription(const std::string& topic, const std::string& expression,
                                  const std::vector<std::string>& tags) {
  SubscriptionData subscription;
  subscription.topic = topic;
  subscription.sub_string = expression;
  subscription.tags_set = tags;
  for (const auto& tag : tags) subscription.code_set.push_back(rocketmq::common::java_string_hash(tag));
  subscription.sub_version = 1700000000000LL;
  return subscription;
}

// ---- section citations -------------------------------------------------------------------------

// "2", "2.2", ... for every `## N.` and `### N.M` heading of the document.
std::set<std::string> doc_sections(const std::string& doc) {
  std::set<std::string> sections;
  const std::regex top(R"(^## (\d+)\. )");
  const std::regex sub(R"(^### (\d+\.\d+) )");
  for (const auto& line : split_lines(doc)) {
    std::smatch match;
    if (std::regex_search(line, match, top) || std::regex_search(line, match, sub)) sections.insert(match[1]);
  }
  return sections;
}

// Problems with the citations in `text`: a "protocol.md" that is not "docs/protocol.md", and any
// "§N" (after "docs/protocol.md" or on its own, e.g. "§6.2" beside a constant) that is not a section.
std::vector<std::string> citation_problems(const std::string& text, const std::set<std::string>& sections) {
  static const std::string kSection = "\xC2\xA7";  // § in UTF-8
  std::vector<std::string> problems;
  const auto lines = split_lines(text);
  for (std::size_t number = 0; number < lines.size(); ++number) {
    const std::string& line = lines[number];
    const std::string where = "line " + std::to_string(number + 1) + ": ";
    for (auto at = line.find("protocol.md"); at != std::string::npos; at = line.find("protocol.md", at + 1)) {
      const bool docs_prefix = at >= 5 && line.compare(at - 5, 5, "docs/") == 0;
      const bool clean_start = at < 6 || std::string(" (`'\"").find(line[at - 6]) != std::string::npos;
      if (!docs_prefix || !clean_start) {
        problems.push_back(where + "cites a protocol.md other than docs/protocol.md");
      }
    }
    for (auto at = line.find(kSection); at != std::string::npos; at = line.find(kSection, at + 1)) {
      std::size_t end = at + kSection.size();
      const auto is_section_char = [](char c) {
        return std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.';
      };
      while (end < line.size() && is_section_char(line[end])) ++end;
      std::string section = line.substr(at + kSection.size(), end - at - kSection.size());
      while (!section.empty() && section.back() == '.') section.pop_back();
      if (section.empty() || sections.count(section) == 0) {
        problems.push_back(where + "cites docs/protocol.md \xC2\xA7" + section + ", which does not exist");
      }
    }
  }
  return problems;
}

}  // namespace

TEST_CASE("protocol doc: the JSON request frame example is what get_topic_route sends", "[protocol-doc]") {
  const std::string frame = encode_frame(route_query(), SerializeType::Json);
  const std::string header = example_text("json-request-header");
  CHECK(header.size() == 162);
  CHECK(hex(frame.substr(0, 8)) == hex(example_bytes("json-request-frame")));
  CHECK(frame.substr(8) == header);
}

TEST_CASE("protocol doc: the binary request frame example is what get_topic_route sends", "[protocol-doc]") {
  const std::string expected = example_bytes("binary-request-frame");
  CHECK(expected.size() == 81);
  CHECK(hex(encode_frame(route_query(), SerializeType::RocketMQ)) == hex(expected));
}

TEST_CASE("protocol doc: the binary response frame example encodes and decodes", "[protocol-doc]") {
  RemotingCommand response;
  response.code = 0;
  response.language = LanguageCode::Java;
  response.version = 480;
  response.opaque = 1;
  response.mark_response();
  QueryConsumerOffsetResponseHeader header;
  header.offset = 42;
  header.encode(response.ext_fields);
  const std::string expected = example_bytes("binary-response-frame");
  CHECK(hex(encode_frame(response, SerializeType::RocketMQ)) == hex(expected));

  const auto decoded = rocketmq::remoting::decode_frame_payload(expected.substr(4));
  CHECK(decoded.is_response());
  CHECK_FALSE(decoded.is_oneway());
  CHECK(decoded.opaque == 1);
  CHECK(decoded.language == LanguageCode::Java);
  CHECK(decoded.version == 480);
  CHECK(QueryConsumerOffsetResponseHeader::decode(decoded.ext_fields).offset == 42);
}

TEST_CASE("protocol doc: the properties string example", "[protocol-doc]") {
  const MessageProperties properties{{"KEYS", "order-1"}, {"TAGS", "TagA"}, {"WAIT", "true"}};
  const std::string expected = example_bytes("properties");
  CHECK(expected.size() == 33);
  CHECK(hex(encode_properties(properties)) == hex(expected));
  CHECK(decode_properties(expected) == properties);
}

TEST_CASE("protocol doc: the stored message record example and its offset msgId", "[protocol-doc]") {
  const std::string expected = example_bytes("stored-message");
  CHECK(expected.size() == 101);
  CHECK(hex(encode_stored_message(stored_example())) == hex(expected));

  const StoredMessage decoded = decode_message(expected);
  CHECK(decoded.topic == "T");
  CHECK(decoded.body == "hi");
  CHECK(decoded.tags == "A");
  CHECK(decoded.born_host.to_string() == "192.168.0.1:54321");
  CHECK(decoded.store_host.to_string() == "127.0.0.1:10911");
  CHECK(decoded.offset_msg_id == example_text("stored-message-offset-msg-id"));
  CHECK(decoded.msg_id == decoded.offset_msg_id);  // no UNIQ_KEY
  const auto id = decode_offset_msg_id(decoded.offset_msg_id);
  CHECK(id.commit_log_offset == 0x1234);
  CHECK(id.store_host.port == 10911);
}

TEST_CASE("protocol doc: IPv6 hosts in a stored record and an offset msgId", "[protocol-doc]") {
  const std::string loopback6 = std::string(15, '\0') + "\x01";
  StoredMessage message = stored_example();
  message.born_host.ip_bytes = loopback6;
  message.store_host.ip_bytes = loopback6;
  const std::string record = encode_stored_message(message);
  CHECK(record.size() == 125);
  const StoredMessage decoded = decode_message(record);
  CHECK(decoded.sys_flag == (sys_flag::kBornHostV6 | sys_flag::kStoreHostV6));
  CHECK(decoded.sys_flag == 0x30);
  CHECK(decoded.store_host.to_string() == "[::1]:10911");

  const std::string expected = to_upper_hex(example_bytes("offset-msg-id-ipv6"));
  CHECK(expected.size() == 56);
  CHECK(make_offset_msg_id({loopback6, 10911}, 0x1234) == expected);
  CHECK(decoded.offset_msg_id == expected);
  const auto id = decode_offset_msg_id(expected);
  CHECK(id.store_host.ip_bytes == loopback6);
  CHECK(id.commit_log_offset == 0x1234);
}

TEST_CASE("protocol doc: the compressed sysFlag example", "[protocol-doc]") {
  std::string expected;
  for (auto type : {CompressionType::kZlib, CompressionType::kLz4, CompressionType::kZstd}) {
    const auto flag = static_cast<std::uint32_t>(sys_flag_with_compression(0, type));
    for (int shift = 24; shift >= 0; shift -= 8) {
      expected.push_back(static_cast<char>((flag >> shift) & 0xFF));
    }
    CHECK(compression_type_from_sys_flag(static_cast<std::int32_t>(flag)) == type);
  }
  CHECK(hex(expected) == hex(example_bytes("sysflag-compressed")));
  // Type bits 0 (a compressed body from a client before 5.x) also mean zlib.
  CHECK(compression_type_from_sys_flag(sys_flag::kCompressed) == CompressionType::kZlib);
}

TEST_CASE("protocol doc: the batch body example", "[protocol-doc]") {
  std::vector<OutgoingMessage> messages(2);
  messages[0].topic = messages[1].topic = "TopicTest";
  messages[0].body = "a";
  messages[1].body = "bc";
  messages[0].properties = messages[1].properties = {{"WAIT", "true"}};
  const std::string expected = example_bytes("batch-body");
  CHECK(expected.size() == 67);
  CHECK(hex(encode_batch_body(messages)) == hex(expected));
}

TEST_CASE("protocol doc: fastjson object keys are normalized as the example shows", "[protocol-doc]") {
  const std::string normalized = example_text("fastjson-object-key-normalized");
  CHECK(normalize_fastjson(example_text("fastjson-object-key")) == normalized);
}

TEST_CASE("protocol doc: the legacy route decodes and re-encodes as the standard one", "[protocol-doc]") {
  const TopicRouteData route = TopicRouteData::decode(example_text("route-legacy"));
  REQUIRE(route.broker_datas.size() == 1);
  CHECK(route.master_address("broker-a") == std::optional<std::string>("127.0.0.1:10911"));
  CHECK(route.broker_datas[0].broker_addrs.at(1) == "127.0.0.1:10921");
  REQUIRE(route.queue_datas.size() == 1);
  CHECK(route.queue_datas[0].read_queue_nums == 4);
  CHECK(route.queue_datas[0].write_queue_nums == 4);
  CHECK(route.publish_queues("TopicTest").size() == 4);
  CHECK(route.subscribe_queues("TopicTest").size() == 4);
  CHECK(route.encode() == example_text("route-standard"));
  CHECK(TopicRouteData::decode(example_text("route-standard")) == route);
}

TEST_CASE("protocol doc: the heartbeat example, with Java hash codes of the tags", "[protocol-doc]") {
  CHECK(rocketmq::common::java_string_hash("TagA") == 2598919);
  CHECK(rocketmq::common::java_string_hash("TagB") == 2598920);
  HeartbeatData heartbeat;
  heartbeat.client_id = "127.0.0.1@4242";
  heartbeat.producer_data_set.push_back({"PID_demo"});
  ConsumerData consumer;
  consumer.group_name = "GID_demo";
  consumer.subscription_data_set.push_back(tag_subscription("TopicTest", "TagA || TagB", {"TagA", "TagB"}));
  consumer.subscription_data_set.push_back(tag_subscription("%RETRY%GID_demo", "*", {}));
  heartbeat.consumer_data_set.push_back(consumer);
  const std::string expected = example_text("heartbeat");
  CHECK(heartbeat.encode() == expected);
  CHECK(HeartbeatData::decode(expected) == heartbeat);
}

TEST_CASE("protocol doc: the lock batch request example", "[protocol-doc]") {
  LockBatchRequestBody body;
  body.consumer_group = "GID_demo";
  body.client_id = "127.0.0.1@4242";
  body.mq_set = {{"TopicTest", "broker-a", 0}, {"TopicTest", "broker-a", 1}};
  CHECK(body.encode() == example_text("lock-batch-request"));
}

TEST_CASE("protocol doc: both reset offset body examples", "[protocol-doc]") {
  ResetOffsetBody body;
  body.offset_table[{"T", "broker-a", 0}] = 42;
  CHECK(body.encode() == example_text("reset-offset"));
  CHECK(body.encode_for_c() == example_text("reset-offset-for-c"));
  CHECK(ResetOffsetBody::decode(example_text("reset-offset")).offset_table == body.offset_table);
  CHECK(ResetOffsetBody::decode(example_text("reset-offset-for-c")).offset_table == body.offset_table);
}

TEST_CASE("protocol doc: the consumer running info example", "[protocol-doc]") {
  ConsumerRunningInfo info;
  ProcessQueueInfo queue;
  queue.commit_offset = 42;
  queue.cached_msg_count = 1;
  queue.cached_msg_min_offset = 42;
  queue.cached_msg_max_offset = 42;
  info.mq_table[{"T", "broker-a", 0}] = queue;
  info.properties["PROP_CONSUME_TYPE"] = "CONSUME_PASSIVELY";
  ConsumeStatus status;
  status.pull_rt = 1.5;
  info.status_table["T"] = status;
  info.subscription_set.push_back(tag_subscription("T", "*", {}));
  const std::string expected = example_text("consumer-running-info");
  CHECK(info.encode() == expected);
  CHECK(ConsumerRunningInfo::decode(expected) == info);
}

TEST_CASE("protocol doc: the consume-directly result example", "[protocol-doc]") {
  ConsumeMessageDirectlyResult result;
  result.spent_time_mills = 12;
  CHECK(result.encode() == example_text("consume-directly-result"));
}

TEST_CASE("protocol doc: the citation check finds bad citations", "[protocol-doc]") {
  const std::set<std::string> sections{"1", "6", "6.2"};
  CHECK(citation_problems("// see docs/protocol.md \xC2\xA7" "6.2 and \xC2\xA7" "1.", sections).empty());
  CHECK(citation_problems("// (docs/protocol.md \xC2\xA7" "6)", sections).empty());
  CHECK(citation_problems("// docs/protocol.md \xC2\xA7" "6.3", sections).size() == 1);
  CHECK(citation_problems("// bare \xC2\xA7" "7", sections).size() == 1);
  CHECK(citation_problems("// protocol.md \xC2\xA7" "6", sections).size() == 1);
  CHECK(citation_problems("// ../shared/docs/protocol.md \xC2\xA7" "6", sections).size() == 1);
}

TEST_CASE("protocol doc: every section src/ and include/ cite exists", "[protocol-doc]") {
  const std::set<std::string> sections = doc_sections(protocol_doc());
  // The document's own numbering: 0 to 9 with their subsections.
  CHECK(sections.count("0") == 1);
  CHECK(sections.count("2.2") == 1);
  CHECK(sections.count("6.6") == 1);
  CHECK(sections.count("9") == 1);
  std::size_t citing_files = 0;
  for (const char* tree : {"src", "include"}) {
    for (const auto& entry : fs::recursive_directory_iterator(kSourceDir / tree)) {
      if (!entry.is_regular_file()) continue;
      const std::string text = read_text(entry.path());
      if (text.find("protocol.md") != std::string::npos) ++citing_files;
      for (const auto& problem : citation_problems(text, sections)) {
        FAIL_CHECK(fs::relative(entry.path(), kSourceDir).string() << " " << problem);
      }
    }
  }
  CHECK(citing_files >= 20);  // the scan really looked at the tree
}
