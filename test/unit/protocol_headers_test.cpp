#include <catch2/catch.hpp>

#include <string>

#include "protocol/headers.h"
#include "protocol/request_code.h"
#include "protocol/response_code.h"
#include "rocketmq/error.h"

using rocketmq::ProtocolError;
using namespace rocketmq::protocol;

TEST_CASE("request and response codes carry the Java numbers and names", "[protocol]") {
  CHECK(static_cast<int>(RequestCode::kGetRouteInfoByTopic) == 105);
  CHECK(static_cast<int>(RequestCode::kSendMessageV2) == 310);
  CHECK(static_cast<int>(RequestCode::kPopMessage) == 200050);
  CHECK(std::string(request_code_name(105)) == "GET_ROUTEINFO_BY_TOPIC");
  CHECK(std::string(request_code_name(220)) == "RESET_CONSUMER_CLIENT_OFFSET");
  CHECK(std::string(request_code_name(99999)) == "UNKNOWN");

  CHECK(static_cast<int>(ResponseCode::kTopicNotExist) == 17);
  CHECK(std::string(response_code_name(17)) == "TOPIC_NOT_EXIST");
  CHECK(std::string(response_code_name(0)) == "SUCCESS");
  CHECK(std::string(response_code_name(1500)) == "GO_AWAY");
  CHECK(std::string(response_code_name(2015)) == "CONTROLLER_JRAFT_INTERNAL_ERROR");
  CHECK(std::string(response_code_name(-1006)) == "RPC_TIME_OUT");
  CHECK(std::string(response_code_name(214)) == "UNKNOWN");
  CHECK(std::string(response_code_name(-1)) == "UNKNOWN");
}

TEST_CASE("GetRouteInfoRequestHeader writes only present optional fields", "[protocol]") {
  GetRouteInfoRequestHeader header;
  header.topic = "TopicTest";
  ExtFields fields;
  header.encode(fields);
  CHECK(fields == ExtFields{{"topic", "TopicTest"}});

  header.accept_standard_json_only = true;
  fields.clear();
  header.encode(fields);
  CHECK(fields == ExtFields{{"topic", "TopicTest"}, {"acceptStandardJsonOnly", "true"}});
  auto decoded = GetRouteInfoRequestHeader::decode(fields);
  CHECK(decoded.topic == "TopicTest");
  CHECK(decoded.accept_standard_json_only == std::optional<bool>(true));
}

TEST_CASE("SendMessageRequestHeader V1 and V2 encode the same values under their names", "[protocol]") {
  SendMessageRequestHeader v1;
  v1.producer_group = "PID";
  v1.topic = "T";
  v1.queue_id = 3;
  v1.sys_flag = 1;
  v1.born_timestamp = 1732600000123;
  v1.flag = -7;
  v1.properties = std::string("TAGS\001a\002");
  v1.batch = false;
  v1.broker_name = "broker-a";

  ExtFields v1_fields;
  v1.encode(v1_fields);
  CHECK(v1_fields == ExtFields{{"producerGroup", "PID"},      {"topic", "T"},
                               {"defaultTopic", "TBW102"},    {"defaultTopicQueueNums", "4"},
                               {"queueId", "3"},              {"sysFlag", "1"},
                               {"bornTimestamp", "1732600000123"}, {"flag", "-7"},
                               {"properties", "TAGS\001a\002"},    {"batch", "false"},
                               {"bname", "broker-a"}});

  auto v2 = SendMessageRequestHeaderV2::from_v1(v1);
  ExtFields v2_fields;
  v2.encode(v2_fields);
  CHECK(v2_fields == ExtFields{{"a", "PID"}, {"b", "T"}, {"c", "TBW102"}, {"d", "4"}, {"e", "3"}, {"f", "1"},
                               {"g", "1732600000123"}, {"h", "-7"}, {"i", "TAGS\001a\002"}, {"m", "false"},
                               {"n", "broker-a"}});

  auto v2_decoded = SendMessageRequestHeaderV2::decode(v2_fields);
  auto back = v2_decoded.to_v1();
  ExtFields round_trip;
  back.encode(round_trip);
  CHECK(round_trip == v1_fields);
  CHECK_FALSE(back.reconsume_times.has_value());
}

TEST_CASE("SendMessageResponseHeader decodes and reports missing or bad fields", "[protocol]") {
  ExtFields fields{{"msgId", "0A00000500002A9F0000000000000010"},
                   {"queueId", "2"},
                   {"queueOffset", "9223372036854775807"},
                   {"MSG_REGION", "DefaultRegion"},
                   {"TRACE_ON", "true"},
                   {"somethingElse", "ignored"}};
  auto header = SendMessageResponseHeader::decode(fields);
  CHECK(header.msg_id == "0A00000500002A9F0000000000000010");
  CHECK(header.queue_id == 2);
  CHECK(header.queue_offset == INT64_MAX);
  CHECK(header.msg_region == std::optional<std::string>("DefaultRegion"));
  CHECK_FALSE(header.transaction_id.has_value());

  ExtFields missing = fields;
  missing.erase("queueOffset");
  CHECK_THROWS_WITH(SendMessageResponseHeader::decode(missing),
                    Catch::Contains("SendMessageResponseHeader") && Catch::Contains("queueOffset") &&
                        Catch::Contains("missing"));

  ExtFields bad = fields;
  bad["queueId"] = "2x";
  CHECK_THROWS_AS(SendMessageResponseHeader::decode(bad), ProtocolError);
  CHECK_THROWS_WITH(SendMessageResponseHeader::decode(bad), Catch::Contains("queueId") && Catch::Contains("2x"));

  bad["queueId"] = "3000000000";  // overflows int32
  CHECK_THROWS_AS(SendMessageResponseHeader::decode(bad), ProtocolError);
  bad["queueId"] = "";
  CHECK_THROWS_AS(SendMessageResponseHeader::decode(bad), ProtocolError);
}

TEST_CASE("PullMessage request and response headers round trip", "[protocol]") {
  PullMessageRequestHeader request;
  request.consumer_group = "GID";
  request.topic = "T";
  request.queue_id = 1;
  request.queue_offset = 100;
  request.sys_flag = 0x2 | 0x4;
  request.commit_offset = 99;
  request.subscription = "TagA || TagB";
  request.sub_version = 1732600000000;
  request.expression_type = "TAG";
  request.max_msg_bytes = 262144;
  ExtFields fields;
  request.encode(fields);
  CHECK(fields.at("maxMsgNums") == "32");
  CHECK(fields.at("suspendTimeoutMillis") == "15000");
  CHECK(fields.at("sysFlag") == "6");
  CHECK(fields.count("requestSource") == 0);
  CHECK(fields.count("proxyFrowardClientId") == 0);
  auto decoded = PullMessageRequestHeader::decode(fields);
  ExtFields again;
  decoded.encode(again);
  CHECK(again == fields);

  ExtFields response{{"suggestWhichBrokerId", "0"}, {"nextBeginOffset", "132"}, {"minOffset", "0"},
                     {"maxOffset", "140"},          {"offsetDelta", "-4"},      {"topicSysFlag", "0"}};
  auto header = PullMessageResponseHeader::decode(response);
  CHECK(header.next_begin_offset == 132);
  CHECK(header.max_offset == 140);
  CHECK(header.offset_delta == std::optional<int64_t>(-4));
  CHECK(header.topic_sys_flag == std::optional<int32_t>(0));
  CHECK_FALSE(header.group_sys_flag.has_value());
  response.erase("nextBeginOffset");
  CHECK_THROWS_WITH(PullMessageResponseHeader::decode(response), Catch::Contains("nextBeginOffset"));
}

TEST_CASE("primitive fields are always written and default when absent", "[protocol]") {
  GetMaxOffsetRequestHeader max_offset;
  max_offset.topic = "T";
  max_offset.queue_id = 0;
  ExtFields fields;
  max_offset.encode(fields);
  CHECK(fields == ExtFields{{"topic", "T"}, {"queueId", "0"}, {"committed", "true"}});

  ConsumerSendMsgBackRequestHeader send_back;
  send_back.offset = 4096;
  send_back.group = "GID";
  send_back.delay_level = 0;
  send_back.origin_msg_id = "UNIQ";
  send_back.max_reconsume_times = 16;
  fields.clear();
  send_back.encode(fields);
  CHECK(fields == ExtFields{{"offset", "4096"},       {"group", "GID"},    {"delayLevel", "0"},
                            {"originMsgId", "UNIQ"},  {"unitMode", "false"}, {"maxReconsumeTimes", "16"}});

  // A broker → client request without the primitive keeps the Java default.
  auto reset = ResetOffsetRequestHeader::decode(
      {{"topic", "T"}, {"group", "GID"}, {"timestamp", "1732600000000"}, {"isForce", "FALSE"}});
  CHECK(reset.queue_id == -1);
  CHECK_FALSE(reset.is_force);
  CHECK_FALSE(reset.offset.has_value());
  CHECK_THROWS_WITH(ResetOffsetRequestHeader::decode({{"topic", "T"}, {"group", "GID"}, {"timestamp", "1"}}),
                    Catch::Contains("isForce"));

  auto running = GetConsumerRunningInfoRequestHeader::decode(
      {{"consumerGroup", "GID"}, {"clientId", "10.0.0.5@1#2"}, {"jstackEnable", "True"}});
  CHECK(running.jstack_enable);
}

TEST_CASE("offset query headers encode their fields", "[protocol]") {
  QueryConsumerOffsetRequestHeader query;
  query.consumer_group = "GID";
  query.topic = "T";
  query.queue_id = 5;
  query.set_zero_if_not_found = false;
  ExtFields fields;
  query.encode(fields);
  CHECK(fields == ExtFields{{"consumerGroup", "GID"}, {"topic", "T"}, {"queueId", "5"}, {"setZeroIfNotFound", "false"}});
  CHECK(QueryConsumerOffsetResponseHeader::decode({{"offset", "77"}}).offset == 77);
  CHECK_THROWS_AS(QueryConsumerOffsetResponseHeader::decode({}), ProtocolError);

  UpdateConsumerOffsetRequestHeader update{"GID", "T", 5, 78, std::nullopt};
  fields.clear();
  update.encode(fields);
  CHECK(fields == ExtFields{{"consumerGroup", "GID"}, {"topic", "T"}, {"queueId", "5"}, {"commitOffset", "78"}});

  SearchOffsetRequestHeader search{"T", 1, 1732600000000, std::string("upper"), std::nullopt};
  fields.clear();
  search.encode(fields);
  CHECK(fields == ExtFields{{"topic", "T"}, {"queueId", "1"}, {"timestamp", "1732600000000"}, {"boundaryType", "upper"}});
  CHECK(OffsetResponseHeader::decode({{"offset", "12"}}).offset == 12);
  CHECK(OffsetResponseHeader::decode({{"offset", "-1"}}).offset == -1);
  CHECK_THROWS_WITH(OffsetResponseHeader::decode({{"offset", "soon"}}),
                    Catch::Contains("offset") && Catch::Contains("int64"));
}

TEST_CASE("client and admin request headers", "[protocol]") {
  UnregisterClientRequestHeader unregister{"10.0.0.5@1#2", std::string("PID"), std::nullopt};
  ExtFields fields;
  unregister.encode(fields);
  CHECK(fields == ExtFields{{"clientID", "10.0.0.5@1#2"}, {"producerGroup", "PID"}});

  GetConsumerListByGroupRequestHeader list{"GID"};
  fields.clear();
  list.encode(fields);
  CHECK(fields == ExtFields{{"consumerGroup", "GID"}});

  CreateTopicRequestHeader create;
  create.topic = "T";
  fields.clear();
  create.encode(fields);
  CHECK(fields == ExtFields{{"topic", "T"}, {"defaultTopic", "TBW102"}, {"readQueueNums", "8"}, {"writeQueueNums", "8"},
                            {"perm", "6"}, {"topicFilterType", "SINGLE_TAG"}, {"order", "false"}});
}

TEST_CASE("broker to client request headers decode", "[protocol]") {
  auto status = GetConsumerStatusRequestHeader::decode({{"topic", "T"}, {"group", "GID"}});
  CHECK(status.topic == "T");
  CHECK_FALSE(status.client_addr.has_value());

  auto direct = ConsumeMessageDirectlyResultRequestHeader::decode(
      {{"consumerGroup", "GID"}, {"clientId", "c"}, {"msgId", "M"}, {"brokerName", "broker-a"}, {"topicSysFlag", "0"}});
  CHECK(direct.msg_id == std::optional<std::string>("M"));
  CHECK(direct.broker_name == std::optional<std::string>("broker-a"));
  CHECK(direct.topic_sys_flag == std::optional<int32_t>(0));
  CHECK_FALSE(direct.topic.has_value());
}
