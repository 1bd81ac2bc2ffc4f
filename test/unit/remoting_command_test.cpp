#include <catch2/catch.hpp>

#include <string>

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
