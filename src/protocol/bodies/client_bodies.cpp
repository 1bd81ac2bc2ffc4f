#include "protocol/bodies/client_bodies.h"

#include "protocol/lenient_json.h"

namespace rocketmq {
namespace protocol {

GetConsumerListByGroupResponseBody GetConsumerListByGroupResponseBody::decode(std::string_view text) {
  static constexpr const char* kContext = "GetConsumerListByGroupResponseBody";
  rapidjson::Document document = parse_lenient_json(text);
  json::require_object(document, kContext);
  GetConsumerListByGroupResponseBody body;
  if (const rapidjson::Value* ids = json::find_member(document, "consumerIdList")) {
    json::require_array(*ids, "GetConsumerListByGroupResponseBody.consumerIdList");
    for (const auto& id : ids->GetArray()) {
      body.consumer_id_list.push_back(json::to_string(id, "consumerIdList", kContext));
    }
  }
  return body;
}

std::string GetConsumerListByGroupResponseBody::encode() const {
  rapidjson::StringBuffer buffer;
  json::Writer writer(buffer);
  writer.StartObject();
  writer.Key("consumerIdList");
  writer.StartArray();
  for (const std::string& id : consumer_id_list) writer.String(id);
  writer.EndArray();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string ConsumeMessageDirectlyResult::encode() const {
  rapidjson::StringBuffer buffer;
  json::Writer writer(buffer);
  writer.StartObject();
  writer.Key("autoCommit");
  writer.Bool(auto_commit);
  writer.Key("consumeResult");
  writer.String(consume_result);
  writer.Key("order");
  writer.Bool(order);
  if (remark) {
    writer.Key("remark");
    writer.String(*remark);
  }
  writer.Key("spentTimeMills");
  writer.Int64(spent_time_mills);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

ConsumeMessageDirectlyResult ConsumeMessageDirectlyResult::decode(std::string_view text) {
  static constexpr const char* kContext = "ConsumeMessageDirectlyResult";
  rapidjson::Document document = parse_lenient_json(text);
  json::require_object(document, kContext);
  ConsumeMessageDirectlyResult result;
  result.order = json::get_bool_or(document, "order", kContext, false);
  result.auto_commit = json::get_bool_or(document, "autoCommit", kContext, true);
  result.consume_result = json::get_string(document, "consumeResult", kContext);
  if (const rapidjson::Value* remark = json::find_member(document, "remark")) {
    result.remark = json::to_string(*remark, "remark", kContext);
  }
  result.spent_time_mills = json::get_int64_or(document, "spentTimeMills", kContext, 0);
  return result;
}

std::string GetConsumerStatusBody::encode() const {
  rapidjson::StringBuffer buffer;
  json::Writer writer(buffer);
  writer.StartObject();
  // Java initialises consumerTable to an empty map, so fastjson always writes it.
  writer.Key("consumerTable");
  writer.StartObject();
  writer.EndObject();
  writer.Key("messageQueueTable");
  writer.StartObject();
  for (const auto& [queue, offset] : message_queue_table) {
    write_message_queue_key(writer, queue);
    writer.Int64(offset);
  }
  writer.EndObject();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace protocol
}  // namespace rocketmq
