// Fuzz target: the lenient (fastjson-tolerant) JSON normaliser and parser, and every JSON body the
// client decodes from name servers and brokers, the route above all. A route that decodes must
// survive our encoder unchanged, and its queue lists must stay small enough to build.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "protocol/bodies/client_bodies.h"
#include "protocol/bodies/cluster_info.h"
#include "protocol/bodies/consumer_running_info.h"
#include "protocol/bodies/heartbeat_data.h"
#include "protocol/bodies/lock_batch_body.h"
#include "protocol/bodies/reset_offset_body.h"
#include "protocol/bodies/topic_route_data.h"
#include "protocol/lenient_json.h"
#include "rocketmq/error.h"

namespace {

using rocketmq::ProtocolError;
namespace p = rocketmq::protocol;

template <typename Body>
void decode_body(std::string_view text) {
  try {
    (void)Body::decode(text);
  } catch (const ProtocolError&) {
  }
}

void route(std::string_view text) {
  p::TopicRouteData decoded;
  try {
    decoded = p::TopicRouteData::decode(text);
  } catch (const ProtocolError&) {
    return;
  }
  FUZZ_CHECK(p::TopicRouteData::decode(decoded.encode()) == decoded);
  (void)decoded.subscribe_queues("T");
  (void)decoded.publish_queues("T");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    // Standard JSON passes through the normaliser untouched.
    const std::string normalized = p::normalize_fastjson(text);
    FUZZ_CHECK(p::normalize_fastjson(normalized) == normalized);
  } catch (const ProtocolError&) {
  }
  try {
    (void)p::parse_lenient_json(text);
  } catch (const ProtocolError&) {
  }
  try {
    (void)p::parse_message_queue_key(text);
  } catch (const ProtocolError&) {
  }
  route(text);
  decode_body<p::ClusterInfo>(text);
  decode_body<p::HeartbeatData>(text);
  decode_body<p::ConsumerRunningInfo>(text);
  decode_body<p::LockBatchResponseBody>(text);
  decode_body<p::ResetOffsetBody>(text);
  decode_body<p::GetConsumerListByGroupResponseBody>(text);
  decode_body<p::ConsumeMessageDirectlyResult>(text);
  return 0;
}
