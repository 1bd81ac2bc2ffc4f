#include "protocol/bodies/reset_offset_body.h"

#include "protocol/lenient_json.h"

namespace rocketmq {
namespace protocol {

ResetOffsetBody ResetOffsetBody::decode(std::string_view text) {
  static constexpr const char* kContext = "ResetOffsetBody";
  static constexpr const char* kEntryContext = "ResetOffsetBody.offsetTable[]";
  rapidjson::Document document = parse_lenient_json(text);
  json::require_object(document, kContext);
  ResetOffsetBody body;
  const rapidjson::Value* table = json::find_member(document, "offsetTable");
  if (table == nullptr) return body;
  if (table->IsObject()) {
    for (auto it = table->MemberBegin(); it != table->MemberEnd(); ++it) {
      body.offset_table[parse_message_queue_key(json::view_of(it->name))] =
          json::to_int64(it->value, "offsetTable", kContext);
    }
  } else if (table->IsArray()) {
    for (const auto& entry : table->GetArray()) {
      body.offset_table[message_queue_from_json(entry, kEntryContext)] =
          json::get_int64(entry, "offset", kEntryContext);
    }
  } else {
    json::require_object(*table, "ResetOffsetBody.offsetTable");
  }
  return body;
}

std::string ResetOffsetBody::encode() const {
  rapidjson::StringBuffer buffer;
  json::Writer writer(buffer);
  writer.StartObject();
  writer.Key("offsetTable");
  writer.StartObject();
  for (const auto& [queue, offset] : offset_table) {
    write_message_queue_key(writer, queue);
    writer.Int64(offset);
  }
  writer.EndObject();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string ResetOffsetBody::encode_for_c() const {
  rapidjson::StringBuffer buffer;
  json::Writer writer(buffer);
  writer.StartObject();
  writer.Key("offsetTable");
  writer.StartArray();
  for (const auto& [queue, offset] : offset_table) {
    writer.StartObject();
    writer.Key("brokerName");
    writer.String(queue.broker_name);
    writer.Key("offset");
    writer.Int64(offset);
    writer.Key("queueId");
    writer.Int(queue.queue_id);
    writer.Key("topic");
    writer.String(queue.topic);
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace protocol
}  // namespace rocketmq
