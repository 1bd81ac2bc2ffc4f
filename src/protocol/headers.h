#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "protocol/ext_fields.h"

namespace rocketmq {
namespace protocol {

// Typed request/response headers (docs/protocol.md §4). Each struct lists its wire fields once in
// `fields()`, which drives both `encode` and `decode` (see headers.cpp):
//   required  — `@CFNotNull` in Java: always written; decode throws ProtocolError when missing.
//   primitive — Java primitive with a default: always written; decode keeps the default if absent.
//   optional  — nullable: written only when set.
// Integers are written in decimal, booleans as "true"/"false". Decode throws rocketmq::ProtocolError
// naming the header and the field when a required field is missing or a number does not parse.
// The optional `broker_name` members are the common base field `bname` (§3).

#define ROCKETMQ_PROTOCOL_HEADER_CODEC(Type) \
  void encode(ExtFields& ext_fields) const;  \
  static Type decode(const ExtFields& ext_fields)

// ---- name server -------------------------------------------------------------------------------

struct GetRouteInfoRequestHeader {
  std::string topic;
  std::optional<bool> accept_standard_json_only;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("topic", self.topic);
    visitor.optional("acceptStandardJsonOnly", self.accept_standard_json_only);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(GetRouteInfoRequestHeader);
};

// ---- producer ----------------------------------------------------------------------------------

struct CreateTopicRequestHeader {
  std::string topic;
  std::string default_topic = "TBW102";
  int32_t read_queue_nums = 8;
  int32_t write_queue_nums = 8;
  int32_t perm = 6;  // PERM_READ | PERM_WRITE
  std::string topic_filter_type = "SINGLE_TAG";
  std::optional<int32_t> topic_sys_flag;
  bool order = false;
  std::optional<std::string> attributes;
  std::optional<bool> force;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("topic", self.topic);
    visitor.required("defaultTopic", self.default_topic);
    visitor.required("readQueueNums", self.read_queue_nums);
    visitor.required("writeQueueNums", self.write_queue_nums);
    visitor.required("perm", self.perm);
    visitor.required("topicFilterType", self.topic_filter_type);
    visitor.optional("topicSysFlag", self.topic_sys_flag);
    visitor.required("order", self.order);
    visitor.optional("attributes", self.attributes);
    visitor.optional("force", self.force);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(CreateTopicRequestHeader);
};

struct SendMessageRequestHeader {
  std::string producer_group;
  std::string topic;
  std::string default_topic = "TBW102";
  int32_t default_topic_queue_nums = 4;
  int32_t queue_id = 0;
  int32_t sys_flag = 0;
  int64_t born_timestamp = 0;
  int32_t flag = 0;
  std::optional<std::string> properties;
  std::optional<int32_t> reconsume_times;
  std::optional<bool> unit_mode;
  std::optional<bool> batch;
  std::optional<int32_t> max_reconsume_times;
  std::optional<std::string> broker_name;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("producerGroup", self.producer_group);
    visitor.required("topic", self.topic);
    visitor.required("defaultTopic", self.default_topic);
    visitor.required("defaultTopicQueueNums", self.default_topic_queue_nums);
    visitor.required("queueId", self.queue_id);
    visitor.required("sysFlag", self.sys_flag);
    visitor.required("bornTimestamp", self.born_timestamp);
    visitor.required("flag", self.flag);
    visitor.optional("properties", self.properties);
    visitor.optional("reconsumeTimes", self.reconsume_times);
    visitor.optional("unitMode", self.unit_mode);
    visitor.optional("batch", self.batch);
    visitor.optional("maxReconsumeTimes", self.max_reconsume_times);
    visitor.optional("bname", self.broker_name);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(SendMessageRequestHeader);
};

// SEND_MESSAGE_V2 / SEND_BATCH_MESSAGE: the same fields under one-letter names (smaller frames).
struct SendMessageRequestHeaderV2 {
  std::string producer_group;            // a
  std::string topic;                     // b
  std::string default_topic = "TBW102";  // c
  int32_t default_topic_queue_nums = 4;  // d
  int32_t queue_id = 0;                  // e
  int32_t sys_flag = 0;                  // f
  int64_t born_timestamp = 0;            // g
  int32_t flag = 0;                      // h
  std::optional<std::string> properties;        // i
  std::optional<int32_t> reconsume_times;       // j
  std::optional<bool> unit_mode;                // k
  std::optional<int32_t> max_reconsume_times;   // l
  std::optional<bool> batch;                    // m
  std::optional<std::string> broker_name;       // n

  static SendMessageRequestHeaderV2 from_v1(const SendMessageRequestHeader& v1);
  SendMessageRequestHeader to_v1() const;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("a", self.producer_group);
    visitor.required("b", self.topic);
    visitor.required("c", self.default_topic);
    visitor.required("d", self.default_topic_queue_nums);
    visitor.required("e", self.queue_id);
    visitor.required("f", self.sys_flag);
    visitor.required("g", self.born_timestamp);
    visitor.required("h", self.flag);
    visitor.optional("i", self.properties);
    visitor.optional("j", self.reconsume_times);
    visitor.optional("k", self.unit_mode);
    visitor.optional("l", self.max_reconsume_times);
    visitor.optional("m", self.batch);
    visitor.optional("n", self.broker_name);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(SendMessageRequestHeaderV2);
};

struct SendMessageResponseHeader {
  std::string msg_id;  // offset-msgId; comma-joined for batches
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  std::optional<std::string> transaction_id;
  std::optional<std::string> batch_uniq_id;
  std::optional<std::string> recall_handle;
  // Extra ext fields the broker may add outside the header class.
  std::optional<std::string> msg_region;
  std::optional<std::string> trace_on;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("msgId", self.msg_id);
    visitor.required("queueId", self.queue_id);
    visitor.required("queueOffset", self.queue_offset);
    visitor.optional("transactionId", self.transaction_id);
    visitor.optional("batchUniqId", self.batch_uniq_id);
    visitor.optional("recallHandle", self.recall_handle);
    visitor.optional("MSG_REGION", self.msg_region);
    visitor.optional("TRACE_ON", self.trace_on);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(SendMessageResponseHeader);
};

struct UnregisterClientRequestHeader {
  std::string client_id;
  std::optional<std::string> producer_group;
  std::optional<std::string> consumer_group;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("clientID", self.client_id);
    visitor.optional("producerGroup", self.producer_group);
    visitor.optional("consumerGroup", self.consumer_group);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(UnregisterClientRequestHeader);
};

// ---- consumer ----------------------------------------------------------------------------------

// PullMessageRequestHeader::sys_flag bit of a lite pull consumer's pulls: sent with request code
// LITE_PULL_MESSAGE, which brokers from 5.0 on serve on a thread pool apart from push consumers'.
inline constexpr int32_t kPullSysFlagLitePull = 0x10;

struct PullMessageRequestHeader {
  std::string consumer_group;
  std::string topic;
  int32_t queue_id = 0;
  int64_t queue_offset = 0;
  int32_t max_msg_nums = 32;
  int32_t sys_flag = 0;
  int64_t commit_offset = 0;
  int64_t suspend_timeout_millis = 15000;
  std::optional<std::string> subscription;
  int64_t sub_version = 0;
  std::optional<std::string> expression_type;  // "TAG" or "SQL92"
  std::optional<int32_t> max_msg_bytes;
  std::optional<int32_t> request_source;
  std::optional<std::string> proxy_forward_client_id;
  std::optional<std::string> broker_name;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("consumerGroup", self.consumer_group);
    visitor.required("topic", self.topic);
    visitor.required("queueId", self.queue_id);
    visitor.required("queueOffset", self.queue_offset);
    visitor.required("maxMsgNums", self.max_msg_nums);
    visitor.required("sysFlag", self.sys_flag);
    visitor.required("commitOffset", self.commit_offset);
    visitor.required("suspendTimeoutMillis", self.suspend_timeout_millis);
    visitor.optional("subscription", self.subscription);
    visitor.required("subVersion", self.sub_version);
    visitor.optional("expressionType", self.expression_type);
    visitor.optional("maxMsgBytes", self.max_msg_bytes);
    visitor.optional("requestSource", self.request_source);
    visitor.optional("proxyFrowardClientId", self.proxy_forward_client_id);  // sic, as in Java
    visitor.optional("bname", self.broker_name);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(PullMessageRequestHeader);
};

struct PullMessageResponseHeader {
  int64_t suggest_which_broker_id = 0;
  int64_t next_begin_offset = 0;
  int64_t min_offset = 0;
  int64_t max_offset = 0;
  std::optional<int64_t> offset_delta;
  std::optional<int32_t> topic_sys_flag;
  std::optional<int32_t> group_sys_flag;
  std::optional<int32_t> forbidden_type;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("suggestWhichBrokerId", self.suggest_which_broker_id);
    visitor.required("nextBeginOffset", self.next_begin_offset);
    visitor.required("minOffset", self.min_offset);
    visitor.required("maxOffset", self.max_offset);
    visitor.optional("offsetDelta", self.offset_delta);
    visitor.optional("topicSysFlag", self.topic_sys_flag);
    visitor.optional("groupSysFlag", self.group_sys_flag);
    visitor.optional("forbiddenType", self.forbidden_type);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(PullMessageResponseHeader);
};

struct QueryConsumerOffsetRequestHeader {
  std::string consumer_group;
  std::string topic;
  int32_t queue_id = 0;
  std::optional<bool> set_zero_if_not_found;
  std::optional<std::string> broker_name;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("consumerGroup", self.consumer_group);
    visitor.required("topic", self.topic);
    visitor.required("queueId", self.queue_id);
    visitor.optional("setZeroIfNotFound", self.set_zero_if_not_found);
    visitor.optional("bname", self.broker_name);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(QueryConsumerOffsetRequestHeader);
};

struct QueryConsumerOffsetResponseHeader {
  int64_t offset = 0;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("offset", self.offset);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(QueryConsumerOffsetResponseHeader);
};

struct UpdateConsumerOffsetRequestHeader {
  std::string consumer_group;
  std::string topic;
  int32_t queue_id = 0;
  int64_t commit_offset = 0;
  std::optional<std::string> broker_name;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("consumerGroup", self.consumer_group);
    visitor.required("topic", self.topic);
    visitor.required("queueId", self.queue_id);
    visitor.required("commitOffset", self.commit_offset);
    visitor.optional("bname", self.broker_name);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(UpdateConsumerOffsetRequestHeader);
};

struct GetConsumerListByGroupRequestHeader {
  std::string consumer_group;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("consumerGroup", self.consumer_group);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(GetConsumerListByGroupRequestHeader);
};

struct ConsumerSendMsgBackRequestHeader {
  int64_t offset = 0;  // commit-log offset of the message
  std::string group;
  int32_t delay_level = 0;
  std::optional<std::string> origin_msg_id;
  std::optional<std::string> origin_topic;
  bool unit_mode = false;
  std::optional<int32_t> max_reconsume_times;
  std::optional<std::string> broker_name;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("offset", self.offset);
    visitor.required("group", self.group);
    visitor.required("delayLevel", self.delay_level);
    visitor.optional("originMsgId", self.origin_msg_id);
    visitor.optional("originTopic", self.origin_topic);
    visitor.primitive("unitMode", self.unit_mode);
    visitor.optional("maxReconsumeTimes", self.max_reconsume_times);
    visitor.optional("bname", self.broker_name);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(ConsumerSendMsgBackRequestHeader);
};

// ---- admin / query -----------------------------------------------------------------------------

struct SearchOffsetRequestHeader {
  std::string topic;
  int32_t queue_id = 0;
  int64_t timestamp = 0;                      // ms
  std::optional<std::string> boundary_type;  // "upper" or "lower" (the broker's default)
  std::optional<std::string> broker_name;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("topic", self.topic);
    visitor.required("queueId", self.queue_id);
    visitor.required("timestamp", self.timestamp);
    visitor.optional("boundaryType", self.boundary_type);
    visitor.optional("bname", self.broker_name);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(SearchOffsetRequestHeader);
};

// The answer of SEARCH_OFFSET_BY_TIMESTAMP, GET_MAX_OFFSET and GET_MIN_OFFSET.
struct OffsetResponseHeader {
  int64_t offset = 0;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("offset", self.offset);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(OffsetResponseHeader);
};

struct GetMaxOffsetRequestHeader {
  std::string topic;
  int32_t queue_id = 0;
  bool committed = true;
  std::optional<std::string> broker_name;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("topic", self.topic);
    visitor.required("queueId", self.queue_id);
    visitor.primitive("committed", self.committed);
    visitor.optional("bname", self.broker_name);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(GetMaxOffsetRequestHeader);
};

// GET_MIN_OFFSET and GET_EARLIEST_MSG_STORETIME take the same two fields.
struct TopicQueueRequestHeader {
  std::string topic;
  int32_t queue_id = 0;
  std::optional<std::string> broker_name;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("topic", self.topic);
    visitor.required("queueId", self.queue_id);
    visitor.optional("bname", self.broker_name);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(TopicQueueRequestHeader);
};

// ---- broker → client ---------------------------------------------------------------------------

// RESET_CONSUMER_CLIENT_OFFSET (and INVOKE_BROKER_TO_RESET_OFFSET).
struct ResetOffsetRequestHeader {
  std::string topic;
  std::string group;
  int32_t queue_id = -1;
  std::optional<int64_t> offset;
  int64_t timestamp = 0;
  bool is_force = false;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("topic", self.topic);
    visitor.required("group", self.group);
    visitor.primitive("queueId", self.queue_id);
    visitor.optional("offset", self.offset);
    visitor.required("timestamp", self.timestamp);
    visitor.required("isForce", self.is_force);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(ResetOffsetRequestHeader);
};

struct GetConsumerStatusRequestHeader {
  std::string topic;
  std::string group;
  std::optional<std::string> client_addr;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("topic", self.topic);
    visitor.required("group", self.group);
    visitor.optional("clientAddr", self.client_addr);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(GetConsumerStatusRequestHeader);
};

struct GetConsumerRunningInfoRequestHeader {
  std::string consumer_group;
  std::string client_id;
  bool jstack_enable = false;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("consumerGroup", self.consumer_group);
    visitor.required("clientId", self.client_id);
    visitor.primitive("jstackEnable", self.jstack_enable);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(GetConsumerRunningInfoRequestHeader);
};

// CONSUME_MESSAGE_DIRECTLY request header (`ConsumeMessageDirectlyResultRequestHeader` in Java).
struct ConsumeMessageDirectlyResultRequestHeader {
  std::string consumer_group;
  std::optional<std::string> client_id;
  std::optional<std::string> msg_id;
  std::optional<std::string> broker_name;
  std::optional<std::string> topic;
  std::optional<int32_t> topic_sys_flag;
  std::optional<int32_t> group_sys_flag;

  template <typename Self, typename Visitor>
  static void fields(Self& self, Visitor& visitor) {
    visitor.required("consumerGroup", self.consumer_group);
    visitor.optional("clientId", self.client_id);
    visitor.optional("msgId", self.msg_id);
    visitor.optional("brokerName", self.broker_name);
    visitor.optional("topic", self.topic);
    visitor.optional("topicSysFlag", self.topic_sys_flag);
    visitor.optional("groupSysFlag", self.group_sys_flag);
  }
  ROCKETMQ_PROTOCOL_HEADER_CODEC(ConsumeMessageDirectlyResultRequestHeader);
};

#undef ROCKETMQ_PROTOCOL_HEADER_CODEC

}  // namespace protocol
}  // namespace rocketmq
