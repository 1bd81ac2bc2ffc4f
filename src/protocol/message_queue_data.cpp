#include "protocol/message_queue_data.h"

namespace rocketmq {
namespace protocol {

void write_message_queue(json::Writer& writer, const MessageQueue& queue) {
  writer.StartObject();
  writer.Key("brokerName");
  writer.String(queue.broker_name);
  writer.Key("queueId");
  writer.Int(queue.queue_id);
  writer.Key("topic");
  writer.String(queue.topic);
  writer.EndObject();
}

std::string message_queue_to_json(const MessageQueue& queue) {
  rapidjson::StringBuffer buffer;
  json::Writer writer(buffer);
  write_message_queue(writer, queue);
  return std::string(buffer.GetString(), buffer.GetSize());
}

void write_message_queue_key(json::Writer& writer, const MessageQueue& queue) {
  std::string key = message_queue_to_json(queue);
  // RapidJSON only accepts string keys; a raw value typed as string passes its key check and is
  // emitted verbatim.
  writer.RawValue(key.data(), key.size(), rapidjson::kStringType);
}

MessageQueue message_queue_from_json(const rapidjson::Value& value, const char* context) {
  json::require_object(value, context);
  MessageQueue queue;
  queue.topic = json::get_string(value, "topic", context);
  queue.broker_name = json::get_string(value, "brokerName", context);
  queue.queue_id = json::get_int32(value, "queueId", context);
  return queue;
}

}  // namespace protocol
}  // namespace rocketmq
