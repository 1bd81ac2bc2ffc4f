#include <catch2/catch.hpp>

#include <chrono>
#include <set>

#include "client/remoting_mq_client_api.h"
#include "protocol/response_code.h"
#include "remoting/remoting_client.h"
#include "rocketmq/error.h"
#include "support/test_env.h"

using namespace std::chrono_literals;
using rocketmq::client::RemotingMQClientAPI;
using rocketmq::remoting::RemotingClient;
using rocketmq::remoting::RemotingClientOptions;
using rocketmq::remoting::SerializeType;

namespace {

// The calls of issue 3 against one cluster: route of an existing topic, cluster info naming both
// brokers, a topic created with 8 queues on each broker and then found in the route.
void check_cluster(const std::string& namesrv, SerializeType our_type, SerializeType server_type) {
  RemotingClientOptions options;
  options.serialize_type = our_type;
  RemotingClient remoting(options);
  RemotingMQClientAPI api(remoting, namesrv, 5s);

  const auto tbw = api.get_topic_route("TBW102");
  std::set<std::string> route_brokers;
  for (const auto& broker : tbw.broker_datas) {
    route_brokers.insert(broker.broker_name);
    REQUIRE(broker.master_address().has_value());
  }
  CHECK(route_brokers == std::set<std::string>{"broker-a", "broker-b"});

  const auto cluster = api.get_broker_cluster_info();
  REQUIRE(cluster.cluster_addr_table.count("DefaultCluster") == 1);
  CHECK(cluster.cluster_addr_table.at("DefaultCluster") == std::set<std::string>{"broker-a", "broker-b"});

  const std::string topic = rocketmq::test::unique_name("it_remoting_topic");
  try {
    api.get_topic_route(topic);
    FAIL("expected TOPIC_NOT_EXIST");
  } catch (const rocketmq::BrokerError& error) {
    CHECK(error.response_code() == 17);
    CHECK_THAT(error.what(), Catch::Matchers::Contains("TOPIC_NOT_EXIST"));
  }

  for (const auto& [name, broker] : cluster.broker_addr_table) {
    rocketmq::protocol::CreateTopicRequestHeader header;
    header.topic = topic;
    header.read_queue_nums = 8;
    header.write_queue_nums = 8;
    api.create_topic(*broker.master_address(), header);
  }
  const auto route = api.get_topic_route(topic);
  REQUIRE(route.queue_datas.size() == 2);
  for (const auto& queue_data : route.queue_datas) {
    CHECK(queue_data.read_queue_nums == 8);
    CHECK(queue_data.write_queue_nums == 8);
    CHECK(queue_data.perm == 6);
  }
  CHECK(route.subscribe_queues(topic).size() == 16);
  CHECK(route.publish_queues(topic).size() == 16);
  CHECK(api.get_max_offset(*route.master_address("broker-a"), topic, 0) == 0);
  // The servers answered in the expected encoding (5.x: their own; 4.9: the request's).
  const auto stats = remoting.stats();
  if (server_type == SerializeType::RocketMQ) {
    CHECK(stats.frames_received_binary == stats.frames_received);
  } else {
    CHECK(stats.frames_received_binary == 0);
  }
}

}  // namespace

TEST_CASE("route, cluster info and topic creation on the real cluster, in both header encodings",
          "[remoting][cluster]") {
  SECTION("JSON requests") { check_cluster(rocketmq::test::namesrv_addr(), SerializeType::Json, SerializeType::Json); }
  // A 5.x server answers in its own encoding; a 4.9 one in the request's
  // (NettyRemotingAbstract.processRequestCommand copies serializeTypeCurrentRPC into the response).
  const auto answer = rocketmq::test::broker_is_4x() ? SerializeType::RocketMQ : SerializeType::Json;
  SECTION("ROCKETMQ binary requests") { check_cluster(rocketmq::test::namesrv_addr(), SerializeType::RocketMQ, answer); }
}

TEST_CASE("the same calls against servers that answer with ROCKETMQ binary headers", "[remoting][cluster][own-cluster]") {
  rocketmq::test::ScopedCluster binary("binary", 12876, 13911, 14911, "RMQ_SERIALIZE_TYPE=ROCKETMQ");
  // 4.9 servers answer in the request's encoding whatever they are configured with (above).
  check_cluster(binary.namesrv(), SerializeType::Json,
                rocketmq::test::broker_is_4x() ? SerializeType::Json : SerializeType::RocketMQ);
  check_cluster(binary.namesrv(), SerializeType::RocketMQ, SerializeType::RocketMQ);
}

TEST_CASE("an unreachable name server is a clear ConnectError, not a hang", "[remoting][cluster]") {
  RemotingClient remoting;
  RemotingMQClientAPI api(remoting, "127.0.0.1:1;127.0.0.1:2", 2s);
  const auto started = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(api.get_topic_route("TBW102"), Catch::Matchers::Contains("cannot connect to 127.0.0.1:"));
  CHECK(std::chrono::steady_clock::now() - started < 10s);
}
