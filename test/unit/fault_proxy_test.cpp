// The fault proxy's modes, seen through the remoting client: pass, delay, black hole (one request
// timeout, then a fresh connection once it passes again) and reset.

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "remoting/remoting_client.h"
#include "rocketmq/error.h"
#include "support/fake_peer.h"
#include "support/fault_proxy.h"
#include "support/test_env.h"

using namespace std::chrono_literals;
using rocketmq::remoting::RemotingClient;
using rocketmq::remoting::RemotingCommand;
using rocketmq::test::FakePeer;
using rocketmq::test::FaultProxy;
using rocketmq::test::wait_until;

namespace {

RemotingCommand ping() {
  auto request = RemotingCommand::request(105);
  request.ext_fields["topic"] = "v";
  return request;
}

std::chrono::milliseconds elapsed_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
}

}  // namespace

TEST_CASE("the fault proxy passes, delays, black-holes and resets on command", "[fault-proxy][fault]") {
  FakePeer server(FakePeer::echo());
  FaultProxy proxy("127.0.0.1", 0, server.address());
  RemotingClient client;

  SECTION("pass") {
    CHECK(client.invoke_sync(proxy.address(), ping(), 5s).ext_fields.at("topic") == "v");
    CHECK(server.accepted() == 1);
  }
  SECTION("delay") {
    proxy.delay(300ms);
    const auto started = std::chrono::steady_clock::now();
    CHECK(client.invoke_sync(proxy.address(), ping(), 5s).code == 0);
    CHECK(elapsed_since(started) >= 300ms);
  }
  SECTION("black hole: one request timeout, then a new connection once it passes") {
    CHECK(client.invoke_sync(proxy.address(), ping(), 5s).code == 0);  // an established connection
    proxy.black_hole();
    const auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(client.invoke_sync(proxy.address(), ping(), 500ms), rocketmq::TimeoutError);
    CHECK(elapsed_since(started) < 2s);
    // New connections are accepted into the hole too.
    CHECK_THROWS_AS(client.invoke_sync(proxy.address(), ping(), 300ms), rocketmq::TimeoutError);
    CHECK(proxy.accepted() == 2);
    proxy.pass();
    // The connection opened in the hole was closed by its timeout: this one is new and passes.
    CHECK(client.invoke_sync(proxy.address(), ping(), 5s).code == 0);
    CHECK(proxy.accepted() == 3);
    CHECK(client.stats().closed_after_timeout == 2);
  }
  SECTION("reset") {
    CHECK(client.invoke_sync(proxy.address(), ping(), 5s).code == 0);
    proxy.reset();
    REQUIRE(wait_until([&] { return client.stats().open_connections == 0; }, 5s));
    const auto started = std::chrono::steady_clock::now();
    CHECK_THROWS_AS(client.invoke_sync(proxy.address(), ping(), 5s), rocketmq::ConnectError);
    CHECK(elapsed_since(started) < 2s);
    proxy.pass();
    CHECK(client.invoke_sync(proxy.address(), ping(), 5s).code == 0);
  }
  client.shutdown();
}
