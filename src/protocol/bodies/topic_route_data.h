#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/message_queue_data.h"

namespace rocketmq {
namespace protocol {

// Queue permission bits (`PermName.java`).
inline constexpr int32_t kPermPriority = 8;
inline constexpr int32_t kPermRead = 4;
inline constexpr int32_t kPermWrite = 2;
inline constexpr int32_t kPermInherit = 1;

// brokerAddrs key of the master (`MixAll.MASTER_ID`); slaves have ids > 0.
inline constexpr int64_t kMasterBrokerId = 0;

// Queues one route may describe (the sum over its QueueDatas, and over orderTopicConf). Every
// rebalance and send turns a route into one MessageQueue per queue, so a peer claiming 2^31 queues
// must not make us build them; real topics have a few hundred brokers with 8-64 queues at most.
inline constexpr int64_t kMaxRouteQueues = 65536;

struct QueueData {
  std::string broker_name;
  int32_t read_queue_nums = 0;
  int32_t write_queue_nums = 0;
  int32_t perm = 0;
  int32_t topic_sys_flag = 0;

  friend bool operator==(const QueueData& a, const QueueData& b) {
    return a.broker_name == b.broker_name && a.read_queue_nums == b.read_queue_nums &&
           a.write_queue_nums == b.write_queue_nums && a.perm == b.perm &&
           a.topic_sys_flag == b.topic_sys_flag;
  }
};

struct BrokerData {
  std::string cluster;
  std::string broker_name;
  std::map<int64_t, std::string> broker_addrs;  // broker id → "host:port"
  bool enable_acting_master = false;

  // The address of broker id 0, if any.
  std::optional<std::string> master_address() const;

  friend bool operator==(const BrokerData& a, const BrokerData& b) {
    return a.cluster == b.cluster && a.broker_name == b.broker_name && a.broker_addrs == b.broker_addrs &&
           a.enable_acting_master == b.enable_acting_master;
  }
};

// Reads one BrokerData object (brokerAddrs keys already normalised to strings).
BrokerData broker_data_from_json(const rapidjson::Value& value, const char* context);
void write_broker_data(json::Writer& writer, const BrokerData& broker);

// GET_ROUTEINFO_BY_TOPIC body (docs/protocol.md §7.1).
struct TopicRouteData {
  std::vector<QueueData> queue_datas;
  std::vector<BrokerData> broker_datas;
  std::optional<std::string> order_topic_conf;  // "broker-a:4;broker-b:4"

  // Accepts the standard and the legacy fastjson form (unquoted brokerAddrs keys, `topicSynFlag`).
  // Throws ProtocolError for malformed routes and routes with more than kMaxRouteQueues queues.
  static TopicRouteData decode(std::string_view json);
  // Standard JSON with fastjson's sorted keys (for test peers and caches).
  std::string encode() const;

  std::optional<std::string> master_address(const std::string& broker_name) const;
  // Consumer view: queues 0..readQueueNums-1 of every readable QueueData, sorted by broker name.
  std::vector<MessageQueue> subscribe_queues(const std::string& topic) const;
  // Producer view: queues 0..writeQueueNums-1 of every writable QueueData whose broker has a
  // master, sorted by broker name. A non-empty orderTopicConf takes precedence, like in Java; its
  // malformed items, and items that would take it beyond kMaxRouteQueues, are skipped.
  std::vector<MessageQueue> publish_queues(const std::string& topic) const;

  friend bool operator==(const TopicRouteData& a, const TopicRouteData& b) {
    return a.queue_datas == b.queue_datas && a.broker_datas == b.broker_datas &&
           a.order_topic_conf == b.order_topic_conf;
  }
};

}  // namespace protocol
}  // namespace rocketmq
