#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "protocol/ext_fields.h"

namespace rocketmq::remoting {

// Header encodings of a frame (the top byte of the header mark).
enum class SerializeType : std::uint8_t { Json = 0, RocketMQ = 1 };

// LanguageCode ordinals as the Java enum declares them; only the names go into JSON headers.
enum class LanguageCode : std::uint8_t {
  Java = 0, Cpp = 1, DotNet = 2, Python = 3, Delphi = 4, Erlang = 5, Ruby = 6, Other = 7,
  Http = 8, Go = 9, Php = 10, Oms = 11, Rust = 12, NodeJs = 13
};

const char* language_name(LanguageCode language) noexcept;
LanguageCode language_from_name(std::string_view name) noexcept;  // unknown names map to Other

// The version ordinal we announce: V5_3_1 (475). It is >= 401 (V4_9_4), so name servers answer
// routes in standard JSON, and not above 475, so shutting-down brokers never answer GO_AWAY to us
// (they do to a version above V5_3_1). Ordinals are positions in Java's MQVersion.Version; a
// 4.9.7 broker answers 407, a 5.3.3 broker 479.
inline constexpr int kClientVersion = 475;

// Broker versions the client adapts to (a server announces its own in every response): 5.0
// (V5_0_0_SNAPSHOT, 412) brought the timer store; an older broker carries a delivery time but
// delivers the message at once.
inline constexpr int kVersion5_0_0Snapshot = 412;

inline constexpr std::size_t kDefaultMaxFrameSize = 16 * 1024 * 1024;

// One remoting message: a request, a oneway request or a response (docs/protocol.md §2).
struct RemotingCommand {
  static constexpr std::int32_t kResponseFlag = 1;
  static constexpr std::int32_t kOnewayFlag = 2;

  std::int32_t code = 0;
  LanguageCode language = LanguageCode::Cpp;
  std::int32_t version = kClientVersion;
  std::int32_t opaque = 0;
  std::int32_t flag = 0;
  std::optional<std::string> remark;
  protocol::ExtFields ext_fields;
  std::string body;

  static RemotingCommand request(std::int32_t code) {
    RemotingCommand command;
    command.code = code;
    return command;
  }
  // A response to `request`: same opaque, response flag set.
  static RemotingCommand response_to(const RemotingCommand& request, std::int32_t code,
                                     std::optional<std::string> remark = std::nullopt);

  bool is_response() const noexcept { return (flag & kResponseFlag) != 0; }
  bool is_oneway() const noexcept { return (flag & kOnewayFlag) != 0; }
  void mark_response() noexcept { flag |= kResponseFlag; }
  void mark_oneway() noexcept { flag |= kOnewayFlag; }

  // A field of the custom header, or nullptr.
  const std::string* ext_field(std::string_view name) const {
    auto it = ext_fields.find(name);
    return it == ext_fields.end() ? nullptr : &it->second;
  }
};

// Encodes a whole frame: length, header mark, header, body.
std::string encode_frame(const RemotingCommand& command, SerializeType type);

// Header bytes alone, in either encoding (exposed for tests and the signing hook).
std::string encode_json_header(const RemotingCommand& command);
std::string encode_binary_header(const RemotingCommand& command);

// Decodes what follows the 4-byte length of a frame (header mark, header, body). Either header
// encoding is accepted whatever we send. Malformed input throws ProtocolError naming the problem.
RemotingCommand decode_frame_payload(std::string_view payload);

}  // namespace rocketmq::remoting
