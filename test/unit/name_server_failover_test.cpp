// A name server list ("a;b"): failover on connect failures, timeouts and error answers, sticking
// to the one that answered, periodic rotation, and one clear ConnectError when none answers. The
// name servers are FakePeers answering route queries.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "client/remoting_mq_client_api.h"
#include "protocol/bodies/topic_route_data.h"
#include "protocol/request_code.h"
#include "remoting/remoting_client.h"
#include "rocketmq/error.h"
#include "support/fake_peer.h"
#include "support/test_env.h"

using namespace std::chrono_literals;
using rocketmq::client::RemotingMQClientAPI;
using rocketmq::remoting::RemotingClient;
using rocketmq::remoting::RemotingCommand;
using rocketmq::test::FakePeer;
using rocketmq::test::PeerConnection;

namespace {

// A name server that answers every route query with an empty route (or with `code`).
struct FakeNameServer {
  std::atomic<int> queries{0};
  std::atomic<int> answer_code{0};
  std::atomic<bool> silent{false};
  FakePeer peer{[this](PeerConnection& connection, RemotingCommand& request) {
    ++queries;
    if (silent) return;
    auto response = RemotingCommand::response_to(request, answer_code.load(), answer_code ? "overloaded" : "");
    if (answer_code == 0) response.body = rocketmq::protocol::TopicRouteData{}.encode();
    connection.send(response);
  }};
  std::string address() const { return peer.address(); }
};

std::string closed_port_address() {
  FakePeer gone(FakePeer::echo());
  return gone.address();  // closed when this returns: the port refuses connections
}

}  // namespace

TEST_CASE("a name server that is down is skipped, and the one that answered is used from then on",
          "[name-server]") {
  FakeNameServer up;
  const std::string down = closed_port_address();
  RemotingClient remoting;
  // Both orders: the client starts at a random entry of the list.
  for (const auto& list : {down + ";" + up.address(), up.address() + ";" + down}) {
    RemotingMQClientAPI api(remoting, list, 2s);
    CHECK_NOTHROW(api.get_topic_route("T"));
    CHECK(api.current_name_server() == up.address());
    const auto failures = remoting.stats().connect_failures;
    CHECK_NOTHROW(api.get_topic_route("T"));
    CHECK(remoting.stats().connect_failures == failures);  // the dead one was not tried again
  }
}

TEST_CASE("a name server that times out or answers SYSTEM_BUSY fails over to the next one", "[name-server]") {
  FakeNameServer bad;
  FakeNameServer good;
  SECTION("timeout") { bad.silent = true; }
  SECTION("SYSTEM_BUSY") { bad.answer_code = 2; }
  SECTION("SYSTEM_ERROR") { bad.answer_code = 1; }
  RemotingClient remoting;
  RemotingMQClientAPI api(remoting, bad.address() + ";" + good.address(), 3s);
  for (int i = 0; i < 3; ++i) CHECK_NOTHROW(api.get_topic_route("T"));
  CHECK(api.current_name_server() == good.address());
  CHECK(good.queries == 3);
  CHECK(bad.queries <= 1);
}

TEST_CASE("an answer that is an error about the request itself is not failed over", "[name-server]") {
  FakeNameServer first;
  FakeNameServer second;
  first.answer_code = 17;  // TOPIC_NOT_EXIST: every name server would say so
  second.answer_code = 17;
  RemotingClient remoting;
  RemotingMQClientAPI api(remoting, first.address() + ";" + second.address(), 2s);
  CHECK_THROWS_AS(api.get_topic_route("T"), rocketmq::BrokerError);
  CHECK(first.queries + second.queries == 1);
}

TEST_CASE("with every name server down the error is a ConnectError naming each address", "[name-server]") {
  const std::string a = closed_port_address();
  FakeNameServer silent;
  silent.silent = true;
  RemotingClient remoting;
  RemotingMQClientAPI api(remoting, a + ";" + silent.address(), 300ms);
  const auto started = std::chrono::steady_clock::now();
  try {
    api.get_topic_route("T");
    FAIL("no error");
  } catch (const rocketmq::ConnectError& error) {
    const std::string what = error.what();
    CHECK_THAT(what, Catch::Contains("no name server answered (" + a + ", " + silent.address() + ")"));
    CHECK_THAT(what, Catch::Contains(a + ": cannot connect to " + a));
    CHECK_THAT(what, Catch::Contains(silent.address() + ": request to " + silent.address() + " timed out"));
  }
  CHECK(std::chrono::steady_clock::now() - started < 3s);
}

TEST_CASE("the client rotates to the next name server periodically, skipping one that just failed",
          "[name-server]") {
  FakeNameServer a;
  FakeNameServer b;
  RemotingClient remoting;
  RemotingMQClientAPI api(remoting, a.address() + ";" + b.address(), 2s, 1s);
  CHECK_NOTHROW(api.get_topic_route("T"));
  const std::string first = api.current_name_server();
  const std::string other = first == a.address() ? b.address() : a.address();
  CHECK_NOTHROW(api.get_topic_route("T"));
  CHECK(api.current_name_server() == first);
  std::this_thread::sleep_for(1200ms);
  CHECK_NOTHROW(api.get_topic_route("T"));
  CHECK(api.current_name_server() == other);
  CHECK(a.queries >= 1);
  CHECK(b.queries >= 1);

  // `first` fails now: the client moves to `other` and, after the period, does not rotate back
  // to the server that failed a moment ago.
  (first == a.address() ? a : b).silent = true;
  std::this_thread::sleep_for(1200ms);  // due to rotate to `first`
  CHECK_NOTHROW(api.get_topic_route("T"));  // tried `first`, timed out, failed over
  CHECK(api.current_name_server() == other);
  const int tried = (first == a.address() ? a : b).queries;
  std::this_thread::sleep_for(1200ms);  // due to rotate again; `first` failed under 3 s ago
  CHECK_NOTHROW(api.get_topic_route("T"));
  CHECK(api.current_name_server() == other);
  CHECK((first == a.address() ? a : b).queries == tried);  // not tried again so soon
}

TEST_CASE("a second opinion asks every other name server at once, and leaves out the current and failed ones",
          "[name-server]") {
  FakeNameServer first;
  FakeNameServer second;
  FakeNameServer third;
  RemotingClient remoting;
  RemotingMQClientAPI api(remoting, first.address() + ";" + second.address() + ";" + third.address(), 1500ms);
  CHECK_NOTHROW(api.get_topic_route("T"));
  const std::string current = api.current_name_server();
  FakeNameServer* servers[] = {&first, &second, &third};
  const auto queries = [&] { return first.queries + second.queries + third.queries; };

  auto answers = api.get_topic_route_from_other_name_servers("T");
  REQUIRE(answers.size() == 2);
  for (const auto& [address, route] : answers) {
    CHECK(address != current);
    CHECK(route.broker_datas.empty());
  }
  CHECK(queries() == 3);

  // Both others go silent: asked at once, they cost one timeout (1.5 s), not one each; and having
  // failed, they are left out of the next second opinion.
  for (auto* server : servers) server->silent = server->address() != current;
  const auto started = std::chrono::steady_clock::now();
  CHECK(api.get_topic_route_from_other_name_servers("T").empty());
  CHECK(std::chrono::steady_clock::now() - started < 2900ms);
  const int asked = queries();
  CHECK(api.get_topic_route_from_other_name_servers("T").empty());
  CHECK(queries() == asked);

  // A single name server has nobody to ask.
  RemotingMQClientAPI alone(remoting, first.address(), 1500ms);
  CHECK(alone.get_topic_route_from_other_name_servers("T").empty());
}
