#include "protocol/bodies/lock_batch_body.h"

#include "protocol/lenient_json.h"

namespace rocketmq {
namespace protocol {
namespace {

std::string encode_lock_body(const std::string& consumer_group, const std::string& client_id,
                             const std::set<MessageQueue>& mq_set, bool only_this_broker) {
  rapidjson::StringBuffer buffer;
  json::Writer writer(buffer);
  writer.StartObject();
  writer.Key("clientId");
  writer.String(client_id);
  writer.Key("consumerGroup");
  writer.String(consumer_group);
  writer.Key("mqSet");
  writer.StartArray();
  for (const MessageQueue& queue : mq_set) write_message_queue(writer, queue);
  writer.EndArray();
  writer.Key("onlyThisBroker");
  writer.Bool(only_this_broker);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace

std::string LockBatchRequestBody::encode() const {
  return encode_lock_body(consumer_group, client_id, mq_set, only_this_broker);
}

std::string UnlockBatchRequestBody::encode() const {
  return encode_lock_body(consumer_group, client_id, mq_set, only_this_broker);
}

LockBatchResponseBody LockBatchResponseBody::decode(std::string_view text) {
  static constexpr const char* kContext = "LockBatchResponseBody";
  rapidjson::Document document = parse_lenient_json(text);
  json::require_object(document, kContext);
  LockBatchResponseBody body;
  if (const rapidjson::Value* queues = json::find_member(document, "lockOKMQSet")) {
    json::require_array(*queues, "LockBatchResponseBody.lockOKMQSet");
    for (const auto& queue : queues->GetArray()) {
      body.lock_ok_mq_set.insert(message_queue_from_json(queue, "LockBatchResponseBody.lockOKMQSet[]"));
    }
  }
  return body;
}

std::string LockBatchResponseBody::encode() const {
  rapidjson::StringBuffer buffer;
  json::Writer writer(buffer);
  writer.StartObject();
  writer.Key("lockOKMQSet");
  writer.StartArray();
  for (const MessageQueue& queue : lock_ok_mq_set) write_message_queue(writer, queue);
  writer.EndArray();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace protocol
}  // namespace rocketmq
