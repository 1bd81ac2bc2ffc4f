// The client instance's broker address table follows the name server: replicas that leave a
// route are forgotten at the next refresh, lookups fall back to a live replica, and offset commits
// and heartbeats go where the route says, never to a dead address. Through FakeMQClientAPI.

#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "client/client_config.h"
#include "client/mq_client_instance.h"
#include "consumer/remote_broker_offset_store.h"
#include "support/fake_mq_client_api.h"
#include "support/first_call_hold.h"
#include "support/test_env.h"

namespace {

using rocketmq::MessageQueue;
using rocketmq::client::MQClientInstance;
using rocketmq::test::FakeMQClientAPI;

constexpr const char* kMasterA = "10.0.0.1:10911";
constexpr const char* kSlaveA = "10.0.0.1:10921";
constexpr const char* kMasterB = "10.0.0.2:10911";

// A route of topic T over broker-a (with the given replicas) and, when `with_b`, broker-b.
rocketmq::protocol::TopicRouteData route(const std::map<std::int64_t, std::string>& a_replicas, bool with_b = true) {
  rocketmq::protocol::TopicRouteData data;
  auto add = [&](const std::string& name, const std::map<std::int64_t, std::string>& replicas) {
    rocketmq::protocol::QueueData queue_data;
    queue_data.broker_name = name;
    queue_data.read_queue_nums = 2;
    queue_data.write_queue_nums = 2;
    queue_data.perm = 6;
    data.queue_datas.push_back(queue_data);
    rocketmq::protocol::BrokerData broker;
    broker.cluster = "DefaultCluster";
    broker.broker_name = name;
    broker.broker_addrs = replicas;
    data.broker_datas.push_back(broker);
  };
  if (!a_replicas.empty()) add("broker-a", a_replicas);
  if (with_b) add("broker-b", {{0, kMasterB}});
  return data;
}

struct Fixture {
  FakeMQClientAPI* api = nullptr;
  std::shared_ptr<MQClientInstance> instance;

  Fixture() {
    auto fake = std::make_unique<FakeMQClientAPI>();
    api = fake.get();
    rocketmq::client::ClientConfig config;
    config.name_server_addr = "127.0.0.1:9876";
    config.instance_name = rocketmq::test::unique_name("addr");
    instance = std::make_shared<MQClientInstance>(config, std::move(fake), nullptr);
  }
  ~Fixture() { instance->shutdown(); }

  void name_server_says(const std::string& topic, rocketmq::protocol::TopicRouteData data) {
    api->set_topic_route(topic, std::move(data));
    instance->update_topic_route(topic);
  }
};

std::optional<std::string> none() { return std::nullopt; }

}  // namespace

TEST_CASE("a master that leaves the route is forgotten and lookups fall back to its slave",
          "[client][broker-address]") {
  Fixture f;
  f.name_server_says("T", route({{0, kMasterA}, {1, kSlaveA}}));
  CHECK(f.instance->broker_address("broker-a") == std::optional<std::string>(kMasterA));
  CHECK(f.instance->broker_address("broker-a", 1) == std::optional<std::string>(kSlaveA));
  CHECK(f.instance->master_address("broker-a") == std::optional<std::string>(kMasterA));

  f.name_server_says("T", route({{1, kSlaveA}}));  // the master was killed
  CHECK(f.instance->broker_address("broker-a") == std::optional<std::string>(kSlaveA));
  CHECK(f.instance->broker_address("broker-a", 0, true) == none());
  CHECK(f.instance->master_address("broker-a") == none());
  CHECK(f.instance->broker_address("broker-a", 1, true) == std::optional<std::string>(kSlaveA));

  f.name_server_says("T", route({{0, "10.0.0.9:10911"}, {1, kSlaveA}}));  // relaunched elsewhere
  CHECK(f.instance->broker_address("broker-a") == std::optional<std::string>("10.0.0.9:10911"));
  CHECK(f.instance->master_address("broker-a") == std::optional<std::string>("10.0.0.9:10911"));
}

TEST_CASE("a master one name server lacks while another lists it is kept, and one none lists is forgotten",
          "[client][broker-address]") {
  Fixture f;
  f.name_server_says("T", route({{0, kMasterA}, {1, kSlaveA}}));
  f.name_server_says("T", route({{0, kMasterA}, {1, kSlaveA}}));
  CHECK(f.api->other_name_server_queries() == 0);  // nothing left the route: no second opinion

  // The name server asked lost broker-a's registration; the other one still has it.
  f.api->set_other_name_server_route("127.0.0.1:9877", "T", route({{0, kMasterA}, {1, kSlaveA}}));
  f.name_server_says("T", route({{1, kSlaveA}}));
  CHECK(f.api->other_name_server_queries() == 1);
  CHECK(f.instance->master_address("broker-a") == std::optional<std::string>(kMasterA));
  CHECK(f.instance->broker_address("broker-a", 1, true) == std::optional<std::string>(kSlaveA));
  const auto kept = f.instance->cached_route("T");
  REQUIRE(kept);
  REQUIRE(kept->broker_datas.size() == 2);
  CHECK(kept->broker_datas[0].broker_name == "broker-a");  // in its place, not moved behind broker-b
  CHECK(kept->broker_datas[0].master_address() == std::optional<std::string>(kMasterA));

  // Killed: every name server drops it.
  f.api->set_other_name_server_route("127.0.0.1:9877", "T", route({{1, kSlaveA}}));
  f.name_server_says("T", route({{1, kSlaveA}}));
  CHECK(f.api->other_name_server_queries() >= 2);
  CHECK(f.instance->master_address("broker-a") == none());
  CHECK(f.instance->broker_address("broker-a") == std::optional<std::string>(kSlaveA));
}

TEST_CASE("a broker the asked name server dropped whole is taken with its queues from another that lists it",
          "[client][broker-address]") {
  Fixture f;
  f.name_server_says("T", route({{0, kMasterA}}));
  f.api->set_other_name_server_route("127.0.0.1:9877", "T", route({{0, kMasterA}}));
  f.name_server_says("T", route({}, true));  // only broker-b
  CHECK(f.instance->master_address("broker-a") == std::optional<std::string>(kMasterA));
  const auto kept = f.instance->cached_route("T");
  REQUIRE(kept);
  REQUIRE(kept->broker_datas.size() == 2);
  CHECK(kept->broker_datas[1].broker_name == "broker-a");
  REQUIRE(kept->queue_datas.size() == 2);
  CHECK(kept->queue_datas[1].broker_name == "broker-a");
  CHECK(kept->queue_datas[1].read_queue_nums == 2);
}

TEST_CASE("while a lost master is watched the other name servers are asked too: the first listing it wins",
          "[client][broker-address]") {
  using namespace std::chrono_literals;
  Fixture f;  // never started: no periodic route refresh runs here
  f.name_server_says("T", route({{0, kMasterA}, {1, kSlaveA}}));
  f.name_server_says("T", route({{1, kSlaveA}}));  // killed: neither name server lists it
  CHECK(f.instance->master_address("broker-a") == none());
  // Relaunched: it registered with the other name server; the one asked has not heard yet, and
  // nobody tells the instance.
  f.api->set_other_name_server_route("127.0.0.1:9877", "T", route({{0, kMasterA}, {1, kSlaveA}}));
  const auto master_back = [&] {
    return f.instance->master_address("broker-a") == std::optional<std::string>(kMasterA);
  };
  REQUIRE(rocketmq::test::wait_until(master_back, 10s, 20ms));
  // Kept from the other name server only: the watch goes on until the one asked lists it too.
  const auto queries = f.api->other_name_server_queries();
  const auto asked_again = [&] { return f.api->other_name_server_queries() > queries; };
  REQUIRE(rocketmq::test::wait_until(asked_again, 10s, 20ms));
  CHECK(f.instance->master_address("broker-a") == std::optional<std::string>(kMasterA));
  f.api->set_topic_route("T", route({{0, kMasterA}, {1, kSlaveA}}));
  const auto get_route_calls = f.api->call_count("get_topic_route");
  const auto refreshed = [&] { return f.api->call_count("get_topic_route") > get_route_calls; };
  REQUIRE(rocketmq::test::wait_until(refreshed, 10s, 20ms));
  // Listed by the one asked: the rechecks stop (one period and a margin without a query).
  const auto settled = f.api->call_count("get_topic_route");
  std::this_thread::sleep_for(2500ms);
  CHECK(f.api->call_count("get_topic_route") == settled);
}

TEST_CASE("a slave that leaves the route is forgotten: a pull suggested to it goes to the master",
          "[client][broker-address]") {
  Fixture f;
  f.name_server_says("T", route({{0, kMasterA}, {1, kSlaveA}}));
  f.name_server_says("T", route({{0, kMasterA}}));
  CHECK(f.instance->broker_address("broker-a", 1) == std::optional<std::string>(kMasterA));
  CHECK(f.instance->broker_address("broker-a", 1, true) == none());
  CHECK(f.instance->broker_address("broker-a", 0, true) == std::optional<std::string>(kMasterA));
}

TEST_CASE("a broker missing from every route is forgotten, and one other topics still name stays",
          "[client][broker-address]") {
  Fixture f;
  f.name_server_says("T", route({{0, kMasterA}}));
  f.name_server_says("U", route({{0, kMasterA}}));
  f.name_server_says("T", route({}, true));  // broker-a gone from T's route only
  // U's route (older, not refreshed yet) still lists broker-a: its address is kept until then.
  CHECK(f.instance->broker_address("broker-a") == std::optional<std::string>(kMasterA));
  f.name_server_says("U", route({}, true));
  CHECK(f.instance->broker_address("broker-a") == none());
  CHECK(f.instance->broker_address("broker-b") == std::optional<std::string>(kMasterB));
}

TEST_CASE("the newest route decides a broker's replicas when topics disagree", "[client][broker-address]") {
  Fixture f;
  f.name_server_says("T", route({{0, kMasterA}, {1, kSlaveA}}));
  f.name_server_says("U", route({{1, kSlaveA}}));  // later: the master died meanwhile
  CHECK(f.instance->master_address("broker-a") == none());
  f.name_server_says("T", route({{0, kMasterA}, {1, kSlaveA}}));  // and came back
  CHECK(f.instance->master_address("broker-a") == std::optional<std::string>(kMasterA));
}

TEST_CASE("offset commits follow the route to the live replica and back, never to a dead address",
          "[client][broker-address]") {
  Fixture f;
  f.name_server_says("T", route({{0, kMasterA}, {1, kSlaveA}}));
  std::weak_ptr<MQClientInstance> weak = f.instance;
  rocketmq::consumer::RemoteBrokerOffsetStore store(*f.api, "G", [weak](const std::string& broker_name) {
    auto instance = weak.lock();
    return instance ? instance->broker_address(broker_name) : std::nullopt;
  });
  const MessageQueue queue{"T", "broker-a", 0};

  store.update_offset(queue, 10, false);
  store.persist(queue);
  f.name_server_says("T", route({{1, kSlaveA}}));
  store.update_offset(queue, 20, false);
  store.persist(queue);
  f.name_server_says("T", route({{0, kMasterA}, {1, kSlaveA}}));
  store.update_offset(queue, 30, false);
  store.persist(queue);

  const auto updates = f.api->offset_updates();
  REQUIRE(updates.size() == 3);
  CHECK(updates[0].broker_addr == kMasterA);
  CHECK(updates[1].broker_addr == kSlaveA);
  CHECK(updates[2].broker_addr == kMasterA);
}

TEST_CASE("heartbeats and unregistration skip replicas that left the route", "[client][broker-address]") {
  Fixture f;
  f.name_server_says("T", route({{0, kMasterA}, {1, kSlaveA}}));
  f.name_server_says("T", route({{1, kSlaveA}}));
  f.instance->unregister_consumer("G");
  std::set<std::string> targets;
  for (const auto& call : f.api->unregisters()) targets.insert(call.broker_addr);
  CHECK(targets == std::set<std::string>{kSlaveA, kMasterB});
}

namespace {

// Holds the first route query's answer (read from the fake when asked) until released: a name
// server answer that is overtaken by a later query's on its way back.
class HeldRouteAPI : public FakeMQClientAPI {
 public:
  rocketmq::protocol::TopicRouteData get_topic_route(const std::string& topic) override {
    auto answer = FakeMQClientAPI::get_topic_route(topic);
    hold.hold_if_first();
    return answer;
  }

  rocketmq::test::FirstCallHold hold;
};

}  // namespace

TEST_CASE("a route answer overtaken by a later query's is not applied", "[client][broker-address]") {
  auto fake = std::make_unique<HeldRouteAPI>();
  auto* api = fake.get();
  rocketmq::client::ClientConfig config;
  config.name_server_addr = "127.0.0.1:9876";
  config.instance_name = rocketmq::test::unique_name("addr");
  auto instance = std::make_shared<MQClientInstance>(config, std::move(fake), nullptr);

  // The first query reads the route before broker-b registered the topic, and stalls.
  api->set_topic_route("T", route({{0, kMasterA}}, false));
  rocketmq::protocol::TopicRouteData late_answer;
  std::thread first([&] { late_answer = instance->update_topic_route("T"); });
  REQUIRE(api->hold.wait_until_holding(std::chrono::seconds(10)));
  // A later query sees both brokers and answers first.
  api->set_topic_route("T", route({{0, kMasterA}}));
  CHECK(instance->update_topic_route("T").broker_datas.size() == 2);
  api->hold.release();
  first.join();

  CHECK(instance->broker_address("broker-b") == std::optional<std::string>(kMasterB));
  CHECK(instance->cached_route("T")->broker_datas.size() == 2);
  CHECK(late_answer.broker_datas.size() == 2);  // the caller gets the route that stands
  instance->shutdown();
}

TEST_CASE("a broker that leaves a route is looked for every 2 s until it is back, not at the next periodic refresh",
          "[client][broker-address]") {
  using namespace std::chrono_literals;
  Fixture f;  // never started: no periodic route refresh runs here
  f.name_server_says("T", route({{0, kMasterA}}));
  f.name_server_says("T", route({{0, kMasterA}}, false));  // broker-b was killed
  CHECK(f.instance->broker_address("broker-b") == none());
  const auto asked_when_lost = f.api->call_count("get_topic_route");
  // It registers again; nobody tells the instance.
  f.api->set_topic_route("T", route({{0, kMasterA}}));
  REQUIRE(rocketmq::test::wait_until(
      [&] { return f.instance->broker_address("broker-b") == std::optional<std::string>(kMasterB); }, 10s, 20ms));
  const auto asked_when_back = f.api->call_count("get_topic_route");
  CHECK(asked_when_back > asked_when_lost);
  // Back in the route: the rechecks stop (one period and a margin without a query).
  std::this_thread::sleep_for(2500ms);
  CHECK(f.api->call_count("get_topic_route") == asked_when_back);
}

TEST_CASE("a master that leaves a route while its slave stays is looked for until it is back", "[client][broker-address]") {
  using namespace std::chrono_literals;
  Fixture f;
  f.name_server_says("T", route({{0, kMasterA}, {1, kSlaveA}}));
  f.name_server_says("T", route({{1, kSlaveA}}));  // the master was killed, the slave runs
  CHECK(f.instance->master_address("broker-a") == none());
  f.api->set_topic_route("T", route({{0, kMasterA}, {1, kSlaveA}}));
  REQUIRE(rocketmq::test::wait_until(
      [&] { return f.instance->master_address("broker-a") == std::optional<std::string>(kMasterA); }, 10s, 20ms));
}
