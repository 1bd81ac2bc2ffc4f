#include "protocol/bodies/consumer_running_info.h"

#include <tuple>

#include "protocol/lenient_json.h"

namespace rocketmq {
namespace protocol {
namespace {

auto fields_of(const ProcessQueueInfo& info) {
  return std::tie(info.commit_offset, info.cached_msg_min_offset, info.cached_msg_max_offset,
                  info.cached_msg_count, info.cached_msg_size_in_mib, info.transaction_msg_min_offset,
                  info.transaction_msg_max_offset, info.transaction_msg_count, info.locked,
                  info.try_unlock_times, info.last_lock_timestamp, info.droped, info.last_pull_timestamp,
                  info.last_consume_timestamp);
}

auto fields_of(const ConsumeStatus& status) {
  return std::tie(status.pull_rt, status.pull_tps, status.consume_rt, status.consume_ok_tps,
                  status.consume_failed_tps, status.consume_failed_msgs);
}

void write_process_queue_info(json::Writer& writer, const ProcessQueueInfo& info) {
  writer.StartObject();
  writer.Key("cachedMsgCount");
  writer.Int(info.cached_msg_count);
  writer.Key("cachedMsgMaxOffset");
  writer.Int64(info.cached_msg_max_offset);
  writer.Key("cachedMsgMinOffset");
  writer.Int64(info.cached_msg_min_offset);
  writer.Key("cachedMsgSizeInMiB");
  writer.Int(info.cached_msg_size_in_mib);
  writer.Key("commitOffset");
  writer.Int64(info.commit_offset);
  writer.Key("droped");
  writer.Bool(info.droped);
  writer.Key("lastConsumeTimestamp");
  writer.Int64(info.last_consume_timestamp);
  writer.Key("lastLockTimestamp");
  writer.Int64(info.last_lock_timestamp);
  writer.Key("lastPullTimestamp");
  writer.Int64(info.last_pull_timestamp);
  writer.Key("locked");
  writer.Bool(info.locked);
  writer.Key("transactionMsgCount");
  writer.Int(info.transaction_msg_count);
  writer.Key("transactionMsgMaxOffset");
  writer.Int64(info.transaction_msg_max_offset);
  writer.Key("transactionMsgMinOffset");
  writer.Int64(info.transaction_msg_min_offset);
  writer.Key("tryUnlockTimes");
  writer.Int64(info.try_unlock_times);
  writer.EndObject();
}

ProcessQueueInfo process_queue_info_from_json(const rapidjson::Value& value) {
  static constexpr const char* kContext = "ConsumerRunningInfo.mqTable";
  json::require_object(value, kContext);
  ProcessQueueInfo info;
  info.commit_offset = json::get_int64_or(value, "commitOffset", kContext, 0);
  info.cached_msg_min_offset = json::get_int64_or(value, "cachedMsgMinOffset", kContext, 0);
  info.cached_msg_max_offset = json::get_int64_or(value, "cachedMsgMaxOffset", kContext, 0);
  info.cached_msg_count = json::get_int32_or(value, "cachedMsgCount", kContext, 0);
  info.cached_msg_size_in_mib = json::get_int32_or(value, "cachedMsgSizeInMiB", kContext, 0);
  info.transaction_msg_min_offset = json::get_int64_or(value, "transactionMsgMinOffset", kContext, 0);
  info.transaction_msg_max_offset = json::get_int64_or(value, "transactionMsgMaxOffset", kContext, 0);
  info.transaction_msg_count = json::get_int32_or(value, "transactionMsgCount", kContext, 0);
  info.locked = json::get_bool_or(value, "locked", kContext, false);
  info.try_unlock_times = json::get_int64_or(value, "tryUnlockTimes", kContext, 0);
  info.last_lock_timestamp = json::get_int64_or(value, "lastLockTimestamp", kContext, 0);
  // The Go client writes "dropped"; accept both.
  info.droped =
      json::get_bool_or(value, "droped", kContext, json::get_bool_or(value, "dropped", kContext, false));
  info.last_pull_timestamp = json::get_int64_or(value, "lastPullTimestamp", kContext, 0);
  info.last_consume_timestamp = json::get_int64_or(value, "lastConsumeTimestamp", kContext, 0);
  return info;
}

void write_consume_status(json::Writer& writer, const ConsumeStatus& status) {
  writer.StartObject();
  writer.Key("consumeFailedMsgs");
  writer.Int64(status.consume_failed_msgs);
  writer.Key("consumeFailedTPS");
  writer.Double(status.consume_failed_tps);
  writer.Key("consumeOKTPS");
  writer.Double(status.consume_ok_tps);
  writer.Key("consumeRT");
  writer.Double(status.consume_rt);
  writer.Key("pullRT");
  writer.Double(status.pull_rt);
  writer.Key("pullTPS");
  writer.Double(status.pull_tps);
  writer.EndObject();
}

ConsumeStatus consume_status_from_json(const rapidjson::Value& value) {
  static constexpr const char* kContext = "ConsumerRunningInfo.statusTable";
  json::require_object(value, kContext);
  ConsumeStatus status;
  status.pull_rt = json::get_double_or(value, "pullRT", kContext, 0);
  status.pull_tps = json::get_double_or(value, "pullTPS", kContext, 0);
  status.consume_rt = json::get_double_or(value, "consumeRT", kContext, 0);
  status.consume_ok_tps = json::get_double_or(value, "consumeOKTPS", kContext, 0);
  status.consume_failed_tps = json::get_double_or(value, "consumeFailedTPS", kContext, 0);
  status.consume_failed_msgs = json::get_int64_or(value, "consumeFailedMsgs", kContext, 0);
  return status;
}

}  // namespace

bool operator==(const ProcessQueueInfo& a, const ProcessQueueInfo& b) { return fields_of(a) == fields_of(b); }
bool operator==(const ConsumeStatus& a, const ConsumeStatus& b) { return fields_of(a) == fields_of(b); }
bool operator==(const ConsumerRunningInfo& a, const ConsumerRunningInfo& b) {
  return a.properties == b.properties && a.subscription_set == b.subscription_set &&
         a.mq_table == b.mq_table && a.status_table == b.status_table && a.jstack == b.jstack;
}

std::string ConsumerRunningInfo::encode() const {
  rapidjson::StringBuffer buffer;
  json::Writer writer(buffer);
  writer.StartObject();
  if (jstack) {
    writer.Key("jstack");
    writer.String(*jstack);
  }
  writer.Key("mqTable");
  writer.StartObject();
  for (const auto& [queue, info] : mq_table) {
    write_message_queue_key(writer, queue);
    write_process_queue_info(writer, info);
  }
  writer.EndObject();
  writer.Key("properties");
  writer.StartObject();
  for (const auto& [name, value] : properties) {
    json::write_key(writer, name);
    writer.String(value);
  }
  writer.EndObject();
  writer.Key("statusTable");
  writer.StartObject();
  for (const auto& [topic, status] : status_table) {
    json::write_key(writer, topic);
    write_consume_status(writer, status);
  }
  writer.EndObject();
  writer.Key("subscriptionSet");
  writer.StartArray();
  for (const SubscriptionData& subscription : subscription_set) write_subscription_data(writer, subscription);
  writer.EndArray();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

ConsumerRunningInfo ConsumerRunningInfo::decode(std::string_view text) {
  static constexpr const char* kContext = "ConsumerRunningInfo";
  rapidjson::Document document = parse_lenient_json(text);
  json::require_object(document, kContext);
  ConsumerRunningInfo info;
  if (const rapidjson::Value* properties = json::find_member(document, "properties")) {
    json::require_object(*properties, "ConsumerRunningInfo.properties");
    for (auto it = properties->MemberBegin(); it != properties->MemberEnd(); ++it) {
      // Java's Properties may hold non-string values after fastjson; keep their JSON text.
      info.properties[it->name.GetString()] =
          it->value.IsString() ? std::string(it->value.GetString(), it->value.GetStringLength())
                               : json::to_compact_text(it->value);
    }
  }
  if (const rapidjson::Value* subscriptions = json::find_member(document, "subscriptionSet")) {
    json::require_array(*subscriptions, "ConsumerRunningInfo.subscriptionSet");
    for (const auto& subscription : subscriptions->GetArray()) {
      info.subscription_set.push_back(
          subscription_data_from_json(subscription, "ConsumerRunningInfo.subscriptionSet[]"));
    }
  }
  if (const rapidjson::Value* mq_table = json::find_member(document, "mqTable")) {
    json::require_object(*mq_table, "ConsumerRunningInfo.mqTable");
    for (auto it = mq_table->MemberBegin(); it != mq_table->MemberEnd(); ++it) {
      info.mq_table[parse_message_queue_key(json::view_of(it->name))] =
          process_queue_info_from_json(it->value);
    }
  }
  if (const rapidjson::Value* status_table = json::find_member(document, "statusTable")) {
    json::require_object(*status_table, "ConsumerRunningInfo.statusTable");
    for (auto it = status_table->MemberBegin(); it != status_table->MemberEnd(); ++it) {
      info.status_table[it->name.GetString()] = consume_status_from_json(it->value);
    }
  }
  if (const rapidjson::Value* jstack = json::find_member(document, "jstack")) {
    info.jstack = json::to_string(*jstack, "jstack", kContext);
  }
  return info;
}

}  // namespace protocol
}  // namespace rocketmq
