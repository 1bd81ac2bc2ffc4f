#include <catch2/catch.hpp>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "common/byte_buffer.h"
#include "remoting/remoting_command.h"
#include "rocketmq/error.h"

using rocketmq::remoting::decode_frame_payload;
using rocketmq::remoting::encode_frame;
using rocketmq::remoting::LanguageCode;
using rocketmq::remoting::RemotingCommand;
using rocketmq::remoting::SerializeType;

namespace {

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

RemotingCommand route_request() {
  auto request = RemotingCommand::request(105);
  request.version = 402;
  request.opaque = 1;
  request.ext_fields["topic"] = "TopicTest";
  return request;
}

std::string payload_of(const std::string& frame) { return frame.substr(4); }

}  // namespace

TEST_CASE("a binary header frame (docs/protocol.md §2.2) is reproduced byte for byte", "[remoting]") {
  const std::string frame = encode_frame(route_request(), SerializeType::RocketMQ);
  CHECK(hex(frame) ==
        "0000002d"
        "01000029"
        "0069"
        "01"
        "0192"
        "00000001"
        "00000000"
        "00000000"
        "00000014"
        "0005"
        "746f706963"
        "00000009"
        "546f70696354657374");
}

TEST_CASE("a JSON header frame (docs/protocol.md §2.1) is reproduced byte for byte", "[remoting]") {
  const std::string frame = encode_frame(route_request(), SerializeType::Json);
  const std::string json =
      R"({"code":105,"extFields":{"topic":"TopicTest"},"flag":0,"language":"CPP","opaque":1,)"
      R"("serializeTypeCurrentRPC":"JSON","version":402})";
  REQUIRE(json.size() == 130);
  CHECK(hex(frame.substr(0, 8)) == "0000008600000082");
  CHECK(frame.substr(8) == json);
}

TEST_CASE("both header encodings round-trip every field", "[remoting]") {
  auto command = RemotingCommand::request(11);
  command.language = LanguageCode::Java;
  command.version = 480;
  command.opaque = -7;
  command.flag = RemotingCommand::kResponseFlag;
  command.remark = "OFFSET_OVERFLOW_ONE \"quoted\" ünïcode";
  command.ext_fields = {{"nextBeginOffset", "42"}, {"empty", ""}, {"ключ", "значение"}};
  command.body = std::string("\0\x01\xff body", 8);
  for (auto type : {SerializeType::Json, SerializeType::RocketMQ}) {
    const auto decoded = decode_frame_payload(payload_of(encode_frame(command, type)));
    CHECK(decoded.code == command.code);
    CHECK(decoded.language == command.language);
    CHECK(decoded.version == command.version);
    CHECK(decoded.opaque == command.opaque);
    CHECK(decoded.flag == command.flag);
    CHECK(decoded.is_response());
    CHECK(decoded.remark == command.remark);
    CHECK(decoded.ext_fields == command.ext_fields);
    CHECK(decoded.body == command.body);
  }
}

TEST_CASE("a JSON header from a Java peer decodes with numbers, nulls and ordinals", "[remoting]") {
  const std::string header =
      R"({"code":0,"extFields":{"queueOffset":12,"flag":true,"x":null},"flag":1,"language":0,)"
      R"("opaque":9,"remark":null,"serializeTypeCurrentRPC":"JSON","version":480})";
  std::string payload("\x00\x00\x00\x00", 4);
  payload[3] = static_cast<char>(header.size());
  payload += header;
  payload += "BODY";
  const auto decoded = decode_frame_payload(payload);
  CHECK(decoded.language == LanguageCode::Java);
  CHECK(decoded.ext_fields.at("queueOffset") == "12");
  CHECK(decoded.ext_fields.at("flag") == "true");
  CHECK(decoded.ext_fields.count("x") == 0);
  CHECK_FALSE(decoded.remark.has_value());
  CHECK(decoded.body == "BODY");
}

TEST_CASE("malformed frame payloads are clear ProtocolErrors", "[remoting]") {
  using Catch::Matchers::Contains;
  // Unknown serialize type 7.
  CHECK_THROWS_WITH(decode_frame_payload(std::string("\x07\x00\x00\x02{}", 6)),
                    Contains("unknown serialize type 7"));
  // Header longer than the frame.
  CHECK_THROWS_WITH(decode_frame_payload(std::string("\x00\x00\x00\x10{}", 6)), Contains("header length 16"));
  // Garbage JSON.
  CHECK_THROWS_WITH(decode_frame_payload(std::string("\x00\x00\x00\x03{x}", 7)), Contains("malformed JSON header"));
  // JSON without a code.
  CHECK_THROWS_WITH(decode_frame_payload(std::string("\x00\x00\x00\x02{}", 6)), Contains("missing \"code\""));
  // Every truncation of a binary header fails cleanly.
  auto command = route_request();
  command.remark = "remark";
  const std::string frame = encode_frame(command, SerializeType::RocketMQ);
  const std::string header = frame.substr(8);
  for (std::size_t cut = 0; cut < header.size(); ++cut) {
    std::string payload = frame.substr(4, 4) + header.substr(0, cut);
    const auto mark_length = static_cast<std::uint32_t>(cut);
    payload[1] = static_cast<char>((mark_length >> 16) & 0xFF);
    payload[2] = static_cast<char>((mark_length >> 8) & 0xFF);
    payload[3] = static_cast<char>(mark_length & 0xFF);
    CHECK_THROWS_AS(decode_frame_payload(payload), rocketmq::ProtocolError);
  }
}

TEST_CASE("codes above 16 bits cannot use the binary header", "[remoting]") {
  auto pop = RemotingCommand::request(200050);
  CHECK_THROWS_AS(encode_frame(pop, SerializeType::RocketMQ), rocketmq::ClientError);
  CHECK_NOTHROW(encode_frame(pop, SerializeType::Json));
}

TEST_CASE("JSON headers escape texts exactly as a JSON writer does, and decode back", "[remoting]") {
  // Every byte value in a field, and the escapes a JSON writer must produce: quote, backslash, the
  // control characters (by letter where JSON has one), everything else (UTF-8 too) as it is.
  std::string every_byte;
  for (int c = 1; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  auto command = RemotingCommand::request(310);
  command.opaque = 77;
  command.ext_fields["i"] = "UNIQ_KEY\x01" "ABC\x02WAIT\x01true\x02";
  command.ext_fields["bytes"] = every_byte;
  command.ext_fields["quote\"key"] = "back\\slash \b\t\n\f\r \xe2\x82\xac";
  command.remark = "tab\there \x1f";

  const std::string frame = encode_frame(command, SerializeType::Json);
  const std::string json = frame.substr(8);
  CHECK(json.find(R"("i":"UNIQ_KEY\u0001ABC\u0002WAIT\u0001true\u0002")") != std::string::npos);
  CHECK(json.find(R"("quote\"key":"back\\slash \b\t\n\f\r )" "\xe2\x82\xac\"") != std::string::npos);
  CHECK(json.find(R"("remark":"tab\there \u001F")") != std::string::npos);
  CHECK(json.find(R"(\u0000)") == std::string::npos);

  const auto decoded = decode_frame_payload(payload_of(frame));
  CHECK(decoded.ext_fields == command.ext_fields);
  CHECK(decoded.remark == command.remark);
  CHECK(decoded.opaque == 77);
}

TEST_CASE("a JSON header longer than the parser's stack buffer decodes the same", "[remoting]") {
  auto command = RemotingCommand::request(105);
  for (int i = 0; i < 400; ++i) command.ext_fields["field" + std::to_string(i)] = std::string(40, 'x');
  const std::string frame = encode_frame(command, SerializeType::Json);
  REQUIRE(frame.size() > 16 * 1024);
  CHECK(decode_frame_payload(payload_of(frame)).ext_fields == command.ext_fields);
}

TEST_CASE("JSON headers are byte for byte what RapidJSON's writer makes of them, for every byte value",
          "[remoting]") {
  std::string every_byte;
  for (int c = 0; c < 256; ++c) every_byte.push_back(static_cast<char>(c));
  auto command = RemotingCommand::request(310);
  command.opaque = -2147483647 - 1;
  command.version = 475;
  command.ext_fields["v"] = every_byte;
  command.remark = every_byte;

  rapidjson::StringBuffer expected;
  rapidjson::Writer<rapidjson::StringBuffer> writer(expected);
  writer.StartObject();
  writer.Key("code");
  writer.Int(310);
  writer.Key("extFields");
  writer.StartObject();
  writer.Key("v");
  writer.String(every_byte.data(), static_cast<rapidjson::SizeType>(every_byte.size()));
  writer.EndObject();
  writer.Key("flag");
  writer.Int(0);
  writer.Key("language");
  writer.String("CPP");
  writer.Key("opaque");
  writer.Int(command.opaque);
  writer.Key("remark");
  writer.String(every_byte.data(), static_cast<rapidjson::SizeType>(every_byte.size()));
  writer.Key("serializeTypeCurrentRPC");
  writer.String("JSON");
  writer.Key("version");
  writer.Int(475);
  writer.EndObject();
  CHECK(rocketmq::remoting::encode_json_header(command) == std::string(expected.GetString(), expected.GetSize()));
  const auto decoded = decode_frame_payload(payload_of(encode_frame(command, SerializeType::Json)));
  CHECK(decoded.ext_fields.at("v") == every_byte);
  CHECK(decoded.remark == every_byte);
}

namespace {

// Header mark (JSON, length) and header: what follows a frame's 4-byte length.
std::string json_payload(const std::string& header) {
  std::string payload;
  rocketmq::common::ByteWriter(payload).write_i32(static_cast<std::int32_t>(header.size()));
  return payload + header;
}

}  // namespace

TEST_CASE("hostile JSON headers cost the decoder time and memory in proportion to their size", "[remoting][fuzz]") {
  using Catch::Matchers::Contains;
  // Nesting is refused while parsing, wherever it is, even in a member nobody reads.
  const std::string deep = R"({"code":0,"unknown":)" + std::string(1000000, '[') + std::string(1000000, ']') + "}";
  CHECK_THROWS_WITH(decode_frame_payload(json_payload(deep)),
                    Contains("malformed JSON header") && Contains("nested deeper than 100 levels"));
  // Many object values (written back out as text): each is converted once, no rescans of the header.
  std::string repeated = R"({"code":0,"extFields":{)";
  for (int i = 0; i < 50000; ++i) repeated += std::string(i == 0 ? "" : ",") + R"("a":[[1]])";
  repeated += "}}";
  const auto decoded = decode_frame_payload(json_payload(repeated));
  CHECK(decoded.ext_fields.size() == 1);
  CHECK(decoded.ext_fields.at("a") == "[[1]]");
  // Many names in reverse order: sorted once, not inserted one by one into the middle.
  std::string reversed = R"({"code":0,"extFields":{)";
  std::vector<std::string> names;
  for (int i = 99999; i >= 0; --i) {
    char name[16];
    std::snprintf(name, sizeof(name), "k%06d", i);
    names.push_back(name);
    reversed += std::string(i == 99999 ? "" : ",") + "\"" + name + "\":\"" + std::to_string(i) + "\"";
  }
  reversed += R"(,"k000007":"repeated"}})";
  const auto many = decode_frame_payload(json_payload(reversed));
  REQUIRE(many.ext_fields.size() == 100000);
  CHECK(many.ext_fields.begin()->first == "k000000");
  CHECK(many.ext_fields.at("k000007") == "7");  // a JSON object's first of a repeated name
  CHECK(std::is_sorted(many.ext_fields.begin(), many.ext_fields.end()));
}

TEST_CASE("a binary header with names in reverse order decodes sorted, the last of a repeated name kept",
          "[remoting][fuzz]") {
  auto command = RemotingCommand::request(105);
  for (int i = 0; i < 100000; ++i) command.ext_fields["k" + std::to_string(1000000 + i)] = std::to_string(i);
  const std::string frame = encode_frame(command, SerializeType::RocketMQ);
  // Reverse the encoded fields: rebuild the extFields block by hand, names descending, plus a repeat.
  std::string fields;
  rocketmq::common::ByteWriter field_writer(fields);
  auto append_field = [&](const std::string& name, const std::string& text) {
    field_writer.write_i16(static_cast<std::int16_t>(name.size()));
    field_writer.write_bytes(name);
    field_writer.write_i32(static_cast<std::int32_t>(text.size()));
    field_writer.write_bytes(text);
  };
  for (auto it = command.ext_fields.end(); it != command.ext_fields.begin();) {
    --it;
    append_field(it->first, it->second);
  }
  append_field("k1000007", "last");
  std::string header = frame.substr(8, 2 + 1 + 2 + 4 + 4 + 4);  // code .. remark length (no remark)
  rocketmq::common::ByteWriter(header).write_i32(static_cast<std::int32_t>(fields.size()));
  header += fields;
  std::string payload;  // header mark: ROCKETMQ (1) in the top byte, the header's length below
  rocketmq::common::ByteWriter(payload).write_i32(static_cast<std::int32_t>((1u << 24) | header.size()));
  const auto decoded = decode_frame_payload(payload + header);
  REQUIRE(decoded.ext_fields.size() == 100000);
  CHECK(std::is_sorted(decoded.ext_fields.begin(), decoded.ext_fields.end()));
  CHECK(decoded.ext_fields.at("k1000007") == "last");
  CHECK(decoded.ext_fields.at("k1099999") == "99999");
}
