#include "protocol/bodies/topic_route_data.h"

#include <algorithm>

#include "protocol/lenient_json.h"
#include "rocketmq/error.h"

namespace rocketmq {
namespace protocol {
namespace {

constexpr const char* kContext = "TopicRouteData";

QueueData queue_data_from_json(const rapidjson::Value& value) {
  static constexpr const char* kQueueContext = "TopicRouteData.queueDatas[]";
  json::require_object(value, kQueueContext);
  QueueData queue;
  queue.broker_name = json::get_string(value, "brokerName", kQueueContext);
  queue.read_queue_nums = json::get_int32(value, "readQueueNums", kQueueContext);
  queue.write_queue_nums = json::get_int32(value, "writeQueueNums", kQueueContext);
  queue.perm = json::get_int32(value, "perm", kQueueContext);
  // Spelled topicSynFlag before 4.9.0.
  queue.topic_sys_flag = json::get_int32_or(
      value, "topicSysFlag", kQueueContext, json::get_int32_or(value, "topicSynFlag", kQueueContext, 0));
  return queue;
}

std::vector<const QueueData*> sorted_by_broker(const std::vector<QueueData>& queue_datas) {
  std::vector<const QueueData*> sorted;
  for (const QueueData& queue : queue_datas) sorted.push_back(&queue);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const QueueData* a, const QueueData* b) { return a->broker_name < b->broker_name; });
  return sorted;
}

}  // namespace

std::optional<std::string> BrokerData::master_address() const {
  auto it = broker_addrs.find(kMasterBrokerId);
  if (it == broker_addrs.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

BrokerData broker_data_from_json(const rapidjson::Value& value, const char* context) {
  json::require_object(value, context);
  BrokerData broker;
  broker.cluster = json::get_string_or(value, "cluster", context, "");
  broker.broker_name = json::get_string(value, "brokerName", context);
  broker.enable_acting_master = json::get_bool_or(value, "enableActingMaster", context, false);
  if (const rapidjson::Value* addrs = json::find_member(value, "brokerAddrs")) {
    json::require_object(*addrs, context);
    for (auto it = addrs->MemberBegin(); it != addrs->MemberEnd(); ++it) {
      broker.broker_addrs[json::parse_int64_key(json::view_of(it->name), context)] =
          json::to_string(it->value, "brokerAddrs", context);
    }
  }
  return broker;
}

void write_broker_data(json::Writer& writer, const BrokerData& broker) {
  writer.StartObject();
  writer.Key("brokerAddrs");
  writer.StartObject();
  for (const auto& [id, address] : broker.broker_addrs) {
    json::write_key(writer, std::to_string(id));
    writer.String(address);
  }
  writer.EndObject();
  writer.Key("brokerName");
  writer.String(broker.broker_name);
  writer.Key("cluster");
  writer.String(broker.cluster);
  writer.Key("enableActingMaster");
  writer.Bool(broker.enable_acting_master);
  writer.EndObject();
}

TopicRouteData TopicRouteData::decode(std::string_view text) {
  rapidjson::Document document = parse_lenient_json(text);
  json::require_object(document, kContext);
  TopicRouteData route;
  if (const rapidjson::Value* queues = json::find_member(document, "queueDatas")) {
    json::require_array(*queues, "TopicRouteData.queueDatas");
    int64_t total_queues = 0;
    for (const auto& queue : queues->GetArray()) {
      route.queue_datas.push_back(queue_data_from_json(queue));
      const QueueData& added = route.queue_datas.back();
      // Negative counts describe no queues (the views loop up to them), as in Java.
      total_queues += std::max<int64_t>({0, added.read_queue_nums, added.write_queue_nums});
      if (total_queues > kMaxRouteQueues) {
        throw ProtocolError(std::string(kContext) + ": more than " + std::to_string(kMaxRouteQueues) +
                            " queues in one route");
      }
    }
  }
  if (const rapidjson::Value* brokers = json::find_member(document, "brokerDatas")) {
    json::require_array(*brokers, "TopicRouteData.brokerDatas");
    for (const auto& broker : brokers->GetArray()) {
      route.broker_datas.push_back(broker_data_from_json(broker, "TopicRouteData.brokerDatas[]"));
    }
  }
  if (const rapidjson::Value* conf = json::find_member(document, "orderTopicConf")) {
    route.order_topic_conf = json::to_string(*conf, "orderTopicConf", kContext);
  }
  return route;
}

std::string TopicRouteData::encode() const {
  rapidjson::StringBuffer buffer;
  json::Writer writer(buffer);
  writer.StartObject();
  writer.Key("brokerDatas");
  writer.StartArray();
  for (const BrokerData& broker : broker_datas) write_broker_data(writer, broker);
  writer.EndArray();
  writer.Key("filterServerTable");
  writer.StartObject();
  writer.EndObject();
  if (order_topic_conf) {
    writer.Key("orderTopicConf");
    writer.String(*order_topic_conf);
  }
  writer.Key("queueDatas");
  writer.StartArray();
  for (const QueueData& queue : queue_datas) {
    writer.StartObject();
    writer.Key("brokerName");
    writer.String(queue.broker_name);
    writer.Key("perm");
    writer.Int(queue.perm);
    writer.Key("readQueueNums");
    writer.Int(queue.read_queue_nums);
    writer.Key("topicSysFlag");
    writer.Int(queue.topic_sys_flag);
    writer.Key("writeQueueNums");
    writer.Int(queue.write_queue_nums);
    writer.EndObject();
  }
  writer.EndArray();
  writer.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::optional<std::string> TopicRouteData::master_address(const std::string& broker_name) const {
  for (const BrokerData& broker : broker_datas) {
    if (broker.broker_name == broker_name) return broker.master_address();
  }
  return std::nullopt;
}

std::vector<MessageQueue> TopicRouteData::subscribe_queues(const std::string& topic) const {
  std::vector<MessageQueue> queues;
  for (const QueueData* queue : sorted_by_broker(queue_datas)) {
    if ((queue->perm & kPermRead) == 0) continue;
    for (int32_t id = 0; id < queue->read_queue_nums; ++id) queues.push_back({topic, queue->broker_name, id});
  }
  return queues;
}

std::vector<MessageQueue> TopicRouteData::publish_queues(const std::string& topic) const {
  std::vector<MessageQueue> queues;
  if (order_topic_conf && !order_topic_conf->empty()) {
    // "broker-a:4;broker-b:4": the order-topic queue layout is fixed by configuration.
    std::string_view conf = *order_topic_conf;
    while (!conf.empty()) {
      size_t end = conf.find(';');
      std::string_view item = conf.substr(0, end);
      conf = end == std::string_view::npos ? std::string_view() : conf.substr(end + 1);
      size_t colon = item.find(':');
      if (colon == std::string_view::npos) continue;
      int64_t count = 0;
      try {
        count = json::parse_int64_key(item.substr(colon + 1), "TopicRouteData.orderTopicConf");
      } catch (const std::exception&) {
        continue;
      }
      if (count > kMaxRouteQueues - static_cast<int64_t>(queues.size())) continue;
      std::string broker_name(item.substr(0, colon));
      for (int32_t id = 0; id < count; ++id) queues.push_back({topic, broker_name, id});
    }
    return queues;
  }
  for (const QueueData* queue : sorted_by_broker(queue_datas)) {
    if ((queue->perm & kPermWrite) == 0) continue;
    if (!master_address(queue->broker_name)) continue;
    for (int32_t id = 0; id < queue->write_queue_nums; ++id) {
      queues.push_back({topic, queue->broker_name, id});
    }
  }
  return queues;
}

}  // namespace protocol
}  // namespace rocketmq
