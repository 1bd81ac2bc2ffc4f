#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <tuple>

#include "protocol/bodies/json_util.h"
#include "rocketmq/message_queue.h"

namespace rocketmq {
namespace protocol {

// The wire form of a message queue (JSON `brokerName`, `queueId`, `topic`) is the public type itself:
// same fields, and the same order as Java's MessageQueue.compareTo (topic, broker name, queue id).
using MessageQueue = ::rocketmq::MessageQueue;

// Writes {"brokerName":..,"queueId":..,"topic":..} (fastjson's sorted key order).
void write_message_queue(json::Writer& writer, const MessageQueue& queue);
// The compact JSON text of write_message_queue; also the object-key form used by fastjson maps.
std::string message_queue_to_json(const MessageQueue& queue);
// Writes the queue as a bare object *map key*, fastjson's form for maps keyed by MessageQueue
// (`{{"brokerName":"a","queueId":0,"topic":"T"}:42}`). Not standard JSON: only Java peers (fastjson)
// and parse_lenient_json read it. Call where the writer expects a key.
void write_message_queue_key(json::Writer& writer, const MessageQueue& queue);
// Reads a MessageQueue JSON object; throws ProtocolError naming `context` when malformed.
MessageQueue message_queue_from_json(const rapidjson::Value& value, const char* context);

}  // namespace protocol
}  // namespace rocketmq
