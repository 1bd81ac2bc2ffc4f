#include <catch2/catch.hpp>

#include <string>

#include "protocol/bodies/client_bodies.h"
#include "protocol/bodies/cluster_info.h"
#include "protocol/bodies/consumer_running_info.h"
#include "protocol/bodies/heartbeat_data.h"
#include "protocol/bodies/lock_batch_body.h"
#include "protocol/bodies/reset_offset_body.h"
#include "protocol/bodies/topic_route_data.h"
#include "protocol/lenient_json.h"
#include "rocketmq/error.h"

using rocketmq::ProtocolError;
using namespace rocketmq::protocol;

namespace {

const char* const kMqKeyA = R"({"brokerName":"broker-a","queueId":0,"topic":"T"})";

std::string quoted_mq_key_a() { return R"("{\"brokerName\":\"broker-a\",\"queueId\":0,\"topic\":\"T\"}")"; }

}  // namespace

TEST_CASE("normalize_fastjson quotes bare numeric keys and leaves standard JSON alone", "[protocol]") {
  CHECK(normalize_fastjson(R"({0:"127.0.0.1:10911"})") == R"({"0":"127.0.0.1:10911"})");
  CHECK(normalize_fastjson(R"({0:"a",1:"b"})") == R"({"0":"a","1":"b"})");
  CHECK(normalize_fastjson(R"({ -1 : "neg", 9223372036854775807:"big"})") ==
        R"({ "-1" : "neg", "9223372036854775807":"big"})");
  CHECK(normalize_fastjson("{\n\t7\n:\n1}") == "{\n\t\"7\"\n:\n1}");
  CHECK(normalize_fastjson(R"({"a":[{1:2},{3:[4,{5:6}]}]})") == R"({"a":[{"1":2},{"3":[4,{"5":6}]}]})");
  CHECK(normalize_fastjson(R"({}  )") == R"({}  )");
  CHECK(normalize_fastjson(R"({"x":{},"y":[]})") == R"({"x":{},"y":[]})");

  const std::string standard = R"({"a":"x{1:2}","b":[1,2,{"c":"\"q\" {0:1}, :"}],"d":-3.5e2,"e":null})";
  CHECK(normalize_fastjson(standard) == standard);
}

TEST_CASE("normalize_fastjson turns object keys into string keys", "[protocol]") {
  CHECK(normalize_fastjson(std::string("{") + kMqKeyA + ":42}") == "{" + quoted_mq_key_a() + ":42}");
  // Whitespace inside the key object is compacted so equal queues give equal keys.
  CHECK(normalize_fastjson(R"({ { "brokerName" : "broker-a", "queueId":0, "topic":"T" } : 42 })") ==
        "{ " + quoted_mq_key_a() + " : 42 }");
  // Strings inside the key object may contain braces, colons and escaped quotes.
  auto tricky = parse_lenient_json(R"({{"brokerName":"b{:}\"x","queueId":-1,"topic":"T,}"}:{"v":1}})");
  REQUIRE(tricky.IsObject());
  REQUIRE(tricky.MemberCount() == 1);
  MessageQueue queue = parse_message_queue_key(tricky.MemberBegin()->name.GetString());
  CHECK(queue.broker_name == "b{:}\"x");
  CHECK(queue.queue_id == -1);
  CHECK(queue.topic == "T,}");
  CHECK(tricky.MemberBegin()->value["v"].GetInt() == 1);
}

TEST_CASE("parse_lenient_json reports malformed input as ProtocolError", "[protocol]") {
  CHECK_THROWS_AS(parse_lenient_json(R"({"a":"unterminated)"), ProtocolError);
  CHECK_THROWS_WITH(parse_lenient_json(R"({"a":"unterminated)"), Catch::Contains("offset"));
  CHECK_THROWS_AS(parse_lenient_json(R"({{"brokerName":"a"  :1})"), ProtocolError);
  CHECK_THROWS_WITH(parse_lenient_json(R"({"a":1,})"), Catch::Contains("offset"));
  CHECK_THROWS_AS(parse_lenient_json(""), ProtocolError);
  CHECK_THROWS_AS(parse_lenient_json("[1,2"), ProtocolError);
  CHECK_THROWS_AS(parse_lenient_json(R"({"a" 1})"), ProtocolError);
  CHECK_THROWS_AS(parse_message_queue_key(R"({"brokerName":"a","topic":"T"})"), ProtocolError);
  CHECK_THROWS_WITH(parse_message_queue_key(R"({"brokerName":"a","topic":"T"})"), Catch::Contains("queueId"));
}

TEST_CASE("TopicRouteData decodes the standard and the legacy form identically", "[protocol]") {
  const std::string standard =
      R"({"brokerDatas":[{"brokerAddrs":{"0":"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],
 "filterServerTable":{},
 "queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":8,"topicSysFlag":0,"writeQueueNums":8}]})";
  const std::string legacy =
      R"({"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false}],
 "filterServerTable":{},
 "queueDatas":[{"brokerName":"broker-a","perm":6,"readQueueNums":8,"topicSynFlag":0,"writeQueueNums":8}]})";

  TopicRouteData from_standard = TopicRouteData::decode(standard);
  TopicRouteData from_legacy = TopicRouteData::decode(legacy);
  CHECK(from_standard == from_legacy);
  REQUIRE(from_standard.broker_datas.size() == 1);
  CHECK(from_standard.broker_datas[0].cluster == "DefaultCluster");
  CHECK(from_standard.broker_datas[0].broker_addrs.at(0) == "127.0.0.1:10911");
  REQUIRE(from_standard.queue_datas.size() == 1);
  CHECK(from_standard.queue_datas[0].perm == 6);
  CHECK(from_standard.master_address("broker-a") == std::optional<std::string>("127.0.0.1:10911"));
  CHECK_FALSE(from_standard.master_address("broker-x").has_value());
  CHECK_FALSE(from_standard.order_topic_conf.has_value());

  CHECK(TopicRouteData::decode(from_standard.encode()) == from_standard);
  CHECK(from_standard.subscribe_queues("T").size() == 8);
  CHECK(from_standard.publish_queues("T").back() == MessageQueue{"T", "broker-a", 7});

  CHECK_THROWS_AS(TopicRouteData::decode(R"({"queueDatas":[{"brokerName":"a"}]})"), ProtocolError);
  CHECK_THROWS_WITH(TopicRouteData::decode(R"({"queueDatas":[{"brokerName":"a"}]})"), Catch::Contains("readQueueNums"));
  CHECK_THROWS_AS(TopicRouteData::decode(R"({"brokerDatas":[{"brokerAddrs":{x:"a"},"brokerName":"a"}]})"),
                  ProtocolError);
}

TEST_CASE("TopicRouteData publish and subscribe views follow perms and masters", "[protocol]") {
  TopicRouteData route = TopicRouteData::decode(R"({
    "brokerDatas":[
      {"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"broker-b","cluster":"C"},
      {"brokerAddrs":{1:"10.0.0.3:10911"},"brokerName":"broker-a","cluster":"C"},
      {"brokerAddrs":{0:"10.0.0.4:10911"},"brokerName":"broker-c","cluster":"C"}],
    "queueDatas":[
      {"brokerName":"broker-b","perm":6,"readQueueNums":2,"writeQueueNums":1},
      {"brokerName":"broker-a","perm":6,"readQueueNums":1,"writeQueueNums":1},
      {"brokerName":"broker-c","perm":4,"readQueueNums":1,"writeQueueNums":3}]})");

  auto publish = route.publish_queues("T");
  // broker-a has no master; broker-c is read-only.
  REQUIRE(publish.size() == 1);
  CHECK(publish[0] == MessageQueue{"T", "broker-b", 0});

  auto subscribe = route.subscribe_queues("T");
  REQUIRE(subscribe.size() == 4);
  CHECK(subscribe[0] == MessageQueue{"T", "broker-a", 0});
  CHECK(subscribe[1] == MessageQueue{"T", "broker-b", 0});
  CHECK(subscribe[2] == MessageQueue{"T", "broker-b", 1});
  CHECK(subscribe[3] == MessageQueue{"T", "broker-c", 0});

  route.order_topic_conf = "broker-c:2;broker-b:1";
  auto ordered = route.publish_queues("T");
  REQUIRE(ordered.size() == 3);
  CHECK(ordered[0] == MessageQueue{"T", "broker-c", 0});
  CHECK(ordered[2] == MessageQueue{"T", "broker-b", 0});
}

TEST_CASE("ClusterInfo decodes fastjson's non-standard form", "[protocol]") {
  ClusterInfo info = ClusterInfo::decode(
      R"({"brokerAddrTable":{"broker-a":{"brokerAddrs":{0:"127.0.0.1:10911",1:"127.0.0.1:10921"},"brokerName":"broker-a","cluster":"DefaultCluster","enableActingMaster":false},)"
      R"("broker-b":{"brokerAddrs":{0:"127.0.0.1:20911"},"brokerName":"broker-b","cluster":"DefaultCluster","enableActingMaster":true}},)"
      R"("clusterAddrTable":{"DefaultCluster":["broker-a","broker-b"]}})");
  REQUIRE(info.broker_addr_table.size() == 2);
  const BrokerData& a = info.broker_addr_table.at("broker-a");
  CHECK(a.broker_addrs.size() == 2);
  CHECK(a.broker_addrs.at(1) == "127.0.0.1:10921");
  CHECK(a.master_address() == std::optional<std::string>("127.0.0.1:10911"));
  CHECK(info.broker_addr_table.at("broker-b").enable_acting_master);
  CHECK(info.cluster_addr_table.at("DefaultCluster") == std::set<std::string>{"broker-a", "broker-b"});
}

TEST_CASE("HeartbeatData encodes byte for byte like fastjson", "[protocol]") {
  HeartbeatData heartbeat;
  heartbeat.client_id = "10.0.0.5@12345#9876543210";
  ConsumerData consumer;
  consumer.group_name = "GID_test";
  SubscriptionData tags;
  tags.topic = "TopicTest";
  tags.sub_string = "TagA || TagB";
  tags.tags_set = {"TagA", "TagB"};
  tags.code_set = {2598919, 2598920};
  tags.sub_version = 1732600000000;
  SubscriptionData retry;
  retry.topic = "%RETRY%GID_test";
  retry.sub_version = 1732600000001;
  consumer.subscription_data_set = {tags, retry};
  heartbeat.consumer_data_set = {consumer};
  heartbeat.producer_data_set = {{"PID_test"}, {"CLIENT_INNER_PRODUCER"}};

  const std::string expected =
      R"({"clientID":"10.0.0.5@12345#9876543210",)"
      R"("consumerDataSet":[{"consumeFromWhere":"CONSUME_FROM_LAST_OFFSET","consumeType":"CONSUME_PASSIVELY",)"
      R"("groupName":"GID_test","messageModel":"CLUSTERING",)"
      R"("subscriptionDataSet":[{"classFilterMode":false,"codeSet":[2598919,2598920],"expressionType":"TAG",)"
      R"("subString":"TagA || TagB","subVersion":1732600000000,"tagsSet":["TagA","TagB"],"topic":"TopicTest"},)"
      R"({"classFilterMode":false,"codeSet":[],"expressionType":"TAG","subString":"*","subVersion":1732600000001,)"
      R"("tagsSet":[],"topic":"%RETRY%GID_test"}],)"
      R"("unitMode":false}],)"
      R"("heartbeatFingerprint":0,)"
      R"("producerDataSet":[{"groupName":"PID_test"},{"groupName":"CLIENT_INNER_PRODUCER"}],)"
      R"("withoutSub":false})";
  CHECK(heartbeat.encode() == expected);
  CHECK(HeartbeatData::decode(expected) == heartbeat);
}

TEST_CASE("lock batch bodies", "[protocol]") {
  LockBatchRequestBody lock;
  lock.consumer_group = "GID";
  lock.client_id = "10.0.0.5@1#2";
  lock.mq_set = {{"T", "broker-a", 1}, {"T", "broker-a", 0}};
  CHECK(lock.encode() ==
        R"({"clientId":"10.0.0.5@1#2","consumerGroup":"GID","mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"},)"
        R"({"brokerName":"broker-a","queueId":1,"topic":"T"}],"onlyThisBroker":false})");

  UnlockBatchRequestBody unlock{"GID", "c", {{"T", "broker-a", 0}}, true};
  CHECK(unlock.encode() ==
        R"({"clientId":"c","consumerGroup":"GID","mqSet":[{"brokerName":"broker-a","queueId":0,"topic":"T"}],"onlyThisBroker":true})");

  auto response = LockBatchResponseBody::decode(
      R"({"lockOKMQSet":[{"topic":"T","brokerName":"broker-a","queueId":1},{"brokerName":"broker-a","queueId":0,"topic":"T"}]})");
  CHECK(response.lock_ok_mq_set == lock.mq_set);
  CHECK(LockBatchResponseBody::decode(response.encode()).lock_ok_mq_set == lock.mq_set);
  CHECK(LockBatchResponseBody::decode("{}").lock_ok_mq_set.empty());
  CHECK_THROWS_AS(LockBatchResponseBody::decode(R"({"lockOKMQSet":[{"topic":"T"}]})"), ProtocolError);
}

TEST_CASE("ConsumerRunningInfo encodes object keys and decodes them back", "[protocol]") {
  ConsumerRunningInfo info;
  info.properties = {{"PROP_CONSUME_TYPE", "CONSUME_PASSIVELY"}, {"PROP_NAMESERVER_ADDR", "127.0.0.1:9876"}};
  SubscriptionData subscription;
  subscription.topic = "T";
  subscription.sub_version = 42;
  info.subscription_set = {subscription};
  ProcessQueueInfo queue_info;
  queue_info.commit_offset = 10;
  queue_info.cached_msg_min_offset = 11;
  queue_info.cached_msg_max_offset = 20;
  queue_info.cached_msg_count = 10;
  queue_info.cached_msg_size_in_mib = 1;
  queue_info.locked = true;
  queue_info.last_pull_timestamp = 1732600000000;
  info.mq_table[{"T", "broker-a", 0}] = queue_info;
  info.mq_table[{"T", "broker-b", 3}] = ProcessQueueInfo{};
  ConsumeStatus status;
  status.pull_rt = 1.5;
  status.pull_tps = 100;
  status.consume_failed_msgs = 3;
  info.status_table["T"] = status;

  const std::string encoded = info.encode();
  CHECK(encoded.find(std::string("\"mqTable\":{") + kMqKeyA + ":{\"cachedMsgCount\":10,") != std::string::npos);
  CHECK(encoded.find(R"(,{"brokerName":"broker-b","queueId":3,"topic":"T"}:{)") != std::string::npos);
  CHECK(encoded.rfind(R"({"mqTable":)", 0) == 0);  // no jstack: sorted keys start with mqTable
  CHECK(encoded.find(R"("statusTable":{"T":{"consumeFailedMsgs":3,)") != std::string::npos);

  ConsumerRunningInfo decoded = ConsumerRunningInfo::decode(encoded);
  CHECK(decoded == info);

  info.jstack = "\"main\" #1 prio=5 {waiting}";
  CHECK(ConsumerRunningInfo::decode(info.encode()) == info);

  // The Go client spells the dropped flag "dropped".
  auto go_style = ConsumerRunningInfo::decode(
      R"({"mqTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:{"dropped":true,"commitOffset":5}},"properties":{"n":1}})");
  CHECK(go_style.mq_table.at({"T", "broker-a", 0}).droped);
  CHECK(go_style.mq_table.at({"T", "broker-a", 0}).commit_offset == 5);
  CHECK(go_style.properties.at("n") == "1");
}

TEST_CASE("ResetOffsetBody decodes the object-key and the ForC array forms", "[protocol]") {
  const std::map<MessageQueue, int64_t> expected{{{"T", "broker-a", 0}, 42}, {{"T", "broker-b", 1}, 9007199254740993}};
  auto fastjson = ResetOffsetBody::decode(
      R"({"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:42,{"brokerName":"broker-b","queueId":1,"topic":"T"}:9007199254740993}})");
  CHECK(fastjson.offset_table == expected);
  auto for_c = ResetOffsetBody::decode(
      R"({"offsetTable":[{"brokerName":"broker-a","offset":42,"queueId":0,"topic":"T"},{"brokerName":"broker-b","offset":"9007199254740993","queueId":1,"topic":"T"}]})");
  CHECK(for_c.offset_table == expected);

  CHECK(ResetOffsetBody::decode(fastjson.encode()).offset_table == expected);
  CHECK(ResetOffsetBody::decode(fastjson.encode_for_c()).offset_table == expected);
  CHECK(ResetOffsetBody::decode("{}").offset_table.empty());
  CHECK_THROWS_AS(ResetOffsetBody::decode(R"({"offsetTable":{"notAQueue":1}})"), ProtocolError);
  CHECK_THROWS_AS(ResetOffsetBody::decode(R"({"offsetTable":7})"), ProtocolError);
}

TEST_CASE("small client bodies", "[protocol]") {
  auto list = GetConsumerListByGroupResponseBody::decode(R"({"consumerIdList":["10.0.0.5@1#2","10.0.0.6@3#4"]})");
  CHECK(list.consumer_id_list == std::vector<std::string>{"10.0.0.5@1#2", "10.0.0.6@3#4"});
  CHECK(GetConsumerListByGroupResponseBody::decode(list.encode()).consumer_id_list == list.consumer_id_list);
  CHECK_THROWS_AS(GetConsumerListByGroupResponseBody::decode(R"({"consumerIdList":[1]})"), ProtocolError);

  ConsumeMessageDirectlyResult result;
  result.remark = "ok";
  result.spent_time_mills = 12;
  CHECK(result.encode() ==
        R"({"autoCommit":true,"consumeResult":"CR_SUCCESS","order":false,"remark":"ok","spentTimeMills":12})");
  auto decoded = ConsumeMessageDirectlyResult::decode(result.encode());
  CHECK(decoded.remark == result.remark);
  CHECK(decoded.consume_result == "CR_SUCCESS");

  GetConsumerStatusBody status;
  status.message_queue_table[{"T", "broker-a", 0}] = 42;
  CHECK(status.encode() ==
        R"({"consumerTable":{},"messageQueueTable":{{"brokerName":"broker-a","queueId":0,"topic":"T"}:42}})");
  auto reparsed = parse_lenient_json(status.encode());
  CHECK(parse_message_queue_key(reparsed["messageQueueTable"].MemberBegin()->name.GetString()) ==
        MessageQueue{"T", "broker-a", 0});
}
