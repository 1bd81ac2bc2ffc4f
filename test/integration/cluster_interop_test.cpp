#include <catch2/catch.hpp>
#include <rapidjson/document.h>

#include <map>
#include <set>
#include <string>

#include "support/test_env.h"

using rocketmq::test::namesrv_addr;
using rocketmq::test::run_interop;
using rocketmq::test::shell_quote;
using rocketmq::test::unique_name;

namespace {

rapidjson::Document parse_line(const std::string& line) {
  rapidjson::Document document;
  document.Parse(line.c_str());
  INFO("line: " << line);
  REQUIRE_FALSE(document.HasParseError());
  REQUIRE(document.IsObject());
  return document;
}

}  // namespace

// Proves the test cluster is real: the official Java client creates a topic on both brokers,
// produces 100 messages with tags and properties, and consumes exactly those 100 back.
TEST_CASE("the Java interop peer round-trips 100 messages through both brokers", "[cluster][interop]") {
  const std::string namesrv = shell_quote(namesrv_addr());
  const std::string topic = unique_name("it_cluster_topic");
  const std::string group = unique_name("it_cluster_group");

  auto created = run_interop("create-topic --namesrv " + namesrv + " --topic " + topic + " --queues 8");
  REQUIRE(created.exit_code == 0);
  REQUIRE(created.stdout_lines.size() == 1);
  auto route = parse_line(created.stdout_lines[0]);
  std::set<std::string> brokers;
  for (const auto& broker : route["brokers"].GetArray()) brokers.insert(broker.GetString());
  CHECK(brokers == std::set<std::string>{"broker-a", "broker-b"});

  auto produced = run_interop("produce --namesrv " + namesrv + " --topic " + topic +
                              " --count 100 --tags TagA,TagB,TagC --keys-prefix key- --property region=us-west"
                              " --property amount=150 --binary --body-size 256");
  REQUIRE(produced.exit_code == 0);
  REQUIRE(produced.stdout_lines.size() == 100);
  std::map<std::string, std::string> sent;  // msgId -> body hash
  std::set<std::string> sent_brokers;
  for (const auto& line : produced.stdout_lines) {
    auto message = parse_line(line);
    sent[message["msgId"].GetString()] = message["bodySha256"].GetString();
    sent_brokers.insert(message["brokerName"].GetString());
  }
  REQUIRE(sent.size() == 100);
  CHECK(sent_brokers.size() == 2);

  auto consumed = run_interop("consume --namesrv " + namesrv + " --group " + group + " --topic " + topic +
                              " --from first --count 100 --timeout-ms 90000");
  REQUIRE(consumed.exit_code == 0);
  std::map<std::string, std::string> received;
  for (const auto& line : consumed.stdout_lines) {
    auto message = parse_line(line);
    received[message["msgId"].GetString()] = message["bodySha256"].GetString();
    CHECK(std::string(message["properties"]["region"].GetString()) == "us-west");
    CHECK(std::string(message["topic"].GetString()) == topic);
  }
  CHECK(consumed.stdout_lines.size() == 100);
  CHECK(received == sent);
}
