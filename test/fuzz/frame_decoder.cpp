// Fuzz target: the remoting frame decoder, i.e. what follows a frame's 4-byte length (header mark,
// JSON or ROCKETMQ binary header, body), plus the typed headers the client reads from the ext
// fields of responses and broker-initiated requests. Peers may answer in either header encoding, so
// a frame that decodes must come back unchanged through both encoders.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "protocol/headers.h"
#include "remoting/remoting_command.h"
#include "rocketmq/error.h"

namespace {

using rocketmq::ClientError;
using rocketmq::ProtocolError;
using rocketmq::protocol::ExtFields;
using rocketmq::remoting::RemotingCommand;
using rocketmq::remoting::SerializeType;

template <typename Header>
void decode_header(const ExtFields& ext_fields) {
  try {
    (void)Header::decode(ext_fields);
  } catch (const ProtocolError&) {
  }
}

void decode_typed_headers(const ExtFields& ext_fields) {
  namespace p = rocketmq::protocol;
  decode_header<p::SendMessageResponseHeader>(ext_fields);
  decode_header<p::PullMessageResponseHeader>(ext_fields);
  decode_header<p::QueryConsumerOffsetResponseHeader>(ext_fields);
  decode_header<p::OffsetResponseHeader>(ext_fields);
  decode_header<p::ResetOffsetRequestHeader>(ext_fields);
  decode_header<p::GetConsumerStatusRequestHeader>(ext_fields);
  decode_header<p::GetConsumerRunningInfoRequestHeader>(ext_fields);
  decode_header<p::ConsumeMessageDirectlyResultRequestHeader>(ext_fields);
}

void check_round_trip(const RemotingCommand& command, SerializeType type) {
  std::string frame;
  try {
    frame = rocketmq::remoting::encode_frame(command, type);
  } catch (const ClientError&) {
    return;  // not representable in this encoding (16-bit code or version in a binary header)
  }
  FUZZ_CHECK(frame.size() >= 4);
  const RemotingCommand again = rocketmq::remoting::decode_frame_payload(std::string_view(frame).substr(4));
  FUZZ_CHECK(again.code == command.code);
  FUZZ_CHECK(again.language == command.language);
  FUZZ_CHECK(again.version == command.version);
  FUZZ_CHECK(again.opaque == command.opaque);
  FUZZ_CHECK(again.flag == command.flag);
  // The binary header has no way to say "empty remark" apart from "no remark".
  FUZZ_CHECK(again.remark.value_or("") == command.remark.value_or(""));
  FUZZ_CHECK(again.ext_fields == command.ext_fields);
  FUZZ_CHECK(again.body == command.body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view payload(reinterpret_cast<const char*>(data), size);
  RemotingCommand command;
  try {
    command = rocketmq::remoting::decode_frame_payload(payload);
  } catch (const ProtocolError&) {
    return 0;
  }
  decode_typed_headers(command.ext_fields);
  check_round_trip(command, SerializeType::Json);
  check_round_trip(command, SerializeType::RocketMQ);
  return 0;
}
