#include "protocol/bodies/heartbeat_data.h"

#include "protocol/lenient_json.h"

namespace rocketmq {
namespace protocol {

void write_subscription_data(json::Writer& writer, const SubscriptionData& subscription) {
  writer.StartObject();
  writer.Key("classFilterMode");
  writer.Bool(subscription.class_filter_mode);
  writer.Key("codeSet");
  writer.StartArray();
  for (int32_t code : subscription.code_set) writer.Int(code);
  writer.EndArray();
  writer.Key("expressionType");
  writer.String(subscription.expression_type);
  writer.Key("subString");
  writer.String(subscription.sub_string);
  writer.Key("subVersion");
  writer.Int64(subscription.sub_version);
  writer.Key("tagsSet");
  writer.StartArray();
  for (const std::string& tag : subscription.tags_set) writer.String(tag);
  writer.EndArray();
  writer.Key("topic");
  writer.String(subscription.topic);
  writer.EndObject();
}

SubscriptionData subscription_data_from_json(const rapidjson::Value& value, const char* context) {
  json::require_object(value, context);
  SubscriptionData subscription;
  subscription.topic = json::get_string(value, "topic", context);
  subscription.sub_string = json::get_string_or(value, "subString", context, "*");
  if (const rapidjson::Value* tags = json::find_member(value, "tagsSet")) {
    json::require_array(*tags, context);
    for (const auto& tag : tags->GetArray()) {
      subscription.tags_set.push_back(json::to_string(tag, "tagsSet", context));
    }
  }
  if (const rapidjson::Value* codes = json::find_member(value, "codeSet")) {
    json::require_array(*codes, context);
    for (const auto& code : codes->GetArray()) {
      subscription.code_set.push_back(json::to_int32(code, "codeSet", context));
    }
  }
  subscription.sub_version = json::get_int64_or(value, "subVersion", context, 0);
  subscription.expression_type = json::get_string_or(value, "expressionType", context, kExpressionTypeTag);
  subscription.class_filter_mode = json::get_bool_or(value, "classFilterMode", context, false);
  return subscription;
}

std::string HeartbeatData::encode() const {
  rapidjson::StringBuffer buffer;
  json::Writer writer(buffer);
  writer.StartObject();
  writer.Key("clientID");
  writer.String(client_id);
  writer.Key("consumerDataSet");
  writer.StartArray();
  for (const ConsumerData& consumer : consumer_data_set) {
    writer.StartObject();
    writer.Key("consumeFromWhere");
    writer.String(consumer.consume_from_where);
    writer.Key("consumeType");
    writer.String(consumer.consume_type);
    writer.Key("groupName");
    writer.String(consumer.group_name);
    writer.Key("messageModel");
    writer.String(consumer.message_model);
    writer.Key("subscriptionDataSet");
    writer.StartArray();
    for (const SubscriptionData& subscription : consumer.subscription_data_set) {
      write_subscription_data(writer, subscription);
    }
    writer.EndArray();
    writer.Key("unitMode");
    writer.Bool(consumer.unit_mode);
    writer.EndObject();
  }
  writer.EndArray();
  writer.Key("heartbeatFingerprint");
  writer.Int(heartbeat_fingerprint);
  writer.Key("producerDataSet");
  writer.StartArray();
  for (const ProducerData& producer : producer_data_set) {
    writer.StartObject();
    writer.Key("groupName");
    writer.String(producer.group_name);
    writer.EndObject();
  }
  writer.EndArray();
  writer.Key("withoutSub");
  writer.Bool(without_sub);
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

HeartbeatData HeartbeatData::decode(std::string_view text) {
  static constexpr const char* kContext = "HeartbeatData";
  static constexpr const char* kConsumerContext = "HeartbeatData.consumerDataSet[]";
  rapidjson::Document document = parse_lenient_json(text);
  json::require_object(document, kContext);
  HeartbeatData heartbeat;
  heartbeat.client_id = json::get_string(document, "clientID", kContext);
  heartbeat.heartbeat_fingerprint = json::get_int32_or(document, "heartbeatFingerprint", kContext, 0);
  heartbeat.without_sub = json::get_bool_or(document, "withoutSub", kContext, false);
  if (const rapidjson::Value* producers = json::find_member(document, "producerDataSet")) {
    json::require_array(*producers, "HeartbeatData.producerDataSet");
    for (const auto& producer : producers->GetArray()) {
      heartbeat.producer_data_set.push_back(
          {json::get_string(producer, "groupName", "HeartbeatData.producerDataSet[]")});
    }
  }
  if (const rapidjson::Value* consumers = json::find_member(document, "consumerDataSet")) {
    json::require_array(*consumers, "HeartbeatData.consumerDataSet");
    for (const auto& value : consumers->GetArray()) {
      ConsumerData consumer;
      consumer.group_name = json::get_string(value, "groupName", kConsumerContext);
      consumer.consume_type = json::get_string_or(value, "consumeType", kConsumerContext, kConsumePassively);
      consumer.message_model = json::get_string_or(value, "messageModel", kConsumerContext, kClustering);
      consumer.consume_from_where =
          json::get_string_or(value, "consumeFromWhere", kConsumerContext, kConsumeFromLastOffset);
      consumer.unit_mode = json::get_bool_or(value, "unitMode", kConsumerContext, false);
      if (const rapidjson::Value* subscriptions = json::find_member(value, "subscriptionDataSet")) {
        json::require_array(*subscriptions, kConsumerContext);
        for (const auto& subscription : subscriptions->GetArray()) {
          consumer.subscription_data_set.push_back(
              subscription_data_from_json(subscription, "HeartbeatData.subscriptionDataSet[]"));
        }
      }
      heartbeat.consumer_data_set.push_back(std::move(consumer));
    }
  }
  return heartbeat;
}

}  // namespace protocol
}  // namespace rocketmq
