#pragma once

#include <string>
#include <string_view>

#include <rapidjson/document.h>

#include "protocol/message_queue_data.h"

namespace rocketmq {
namespace protocol {

// fastjson (the Java peers' serializer) writes non-string map keys without quotes, which strict
// parsers reject (docs/protocol.md §7):
//   numeric keys   {0:"127.0.0.1:10911"}                        → {"0":"127.0.0.1:10911"}
//   object keys    {{"brokerName":"a","queueId":0,"topic":"T"}:42}
//                  → {"{\"brokerName\":\"a\",\"queueId\":0,\"topic\":\"T\"}":42}
// Object (and array) keys become a string key holding their compact JSON text; any other bare key
// token is quoted as is. String contents, including escapes, are copied untouched, so standard
// JSON passes through unchanged. Throws rocketmq::ProtocolError on an unterminated string, an
// unbalanced object key, or object keys nested inside object keys more than two deep (each level
// doubles the escaping); other syntax errors are left for the JSON parser to report.
std::string normalize_fastjson(std::string_view text);

// normalize_fastjson + RapidJSON parse. Throws rocketmq::ProtocolError with the parser's message
// and the offset (in the normalized text) on malformed input, and for nesting deeper than
// kMaxJsonDepth (json_limits.h).
rapidjson::Document parse_lenient_json(std::string_view text);

// Reads an object key produced by normalize_fastjson (or any MessageQueue JSON text) back into
// a MessageQueue. Throws rocketmq::ProtocolError if it is not a MessageQueue object.
MessageQueue parse_message_queue_key(std::string_view key);

}  // namespace protocol
}  // namespace rocketmq
