#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "remoting/remoting_client.h"
#include "rocketmq/error.h"
#include "support/fake_peer.h"
#include "support/test_env.h"

using namespace std::chrono_literals;
using rocketmq::remoting::InvokeResult;
using rocketmq::remoting::RemotingClient;
using rocketmq::remoting::RemotingClientOptions;
using rocketmq::remoting::RemotingCommand;
using rocketmq::remoting::SerializeType;
using rocketmq::test::FakePeer;
using rocketmq::test::PeerConnection;
using rocketmq::test::wait_until;

namespace {

RemotingCommand ping(const std::string& value = "v") {
  auto request = RemotingCommand::request(105);
  request.ext_fields["topic"] = value;
  return request;
}

std::string error_text(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  }
}

// Counts callback invocations per request and keeps the last error text.
struct Outcome {
  std::atomic<int> calls{0};
  std::atomic<bool> ok{false};
  std::mutex mutex;
  std::exception_ptr error;
  void record(InvokeResult&& result) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      error = result.error;
    }
    ok = result.response.has_value();
    ++calls;
  }
};

}  // namespace

TEST_CASE("requests are answered and matched by opaque, in both header encodings", "[remoting][fault]") {
  for (auto peer_type : {SerializeType::Json, SerializeType::RocketMQ}) {
    FakePeer peer(FakePeer::echo(peer_type));
    for (auto our_type : {SerializeType::Json, SerializeType::RocketMQ}) {
      RemotingClientOptions options;
      options.serialize_type = our_type;
      RemotingClient client(options);
      auto response = client.invoke_sync(peer.address(), ping("hello"), 2s);
      CHECK(response.code == 0);
      CHECK(response.ext_fields.at("topic") == "hello");
      CHECK(client.stats().connections_opened == 1);
    }
  }
}

TEST_CASE("a garbage header fails the request with a ProtocolError and closes only that connection",
          "[remoting][fault]") {
  FakePeer bad([](PeerConnection& connection, RemotingCommand&) {
    connection.write_raw(std::string("\x00\x00\x00\x08\x00\x00\x00\x04{{{{", 12));
  });
  FakePeer good(FakePeer::echo());
  RemotingClient client;
  auto healthy = client.invoke_sync(good.address(), ping(), 2s);
  CHECK(healthy.code == 0);
  try {
    client.invoke_sync(bad.address(), ping(), 2s);
    FAIL("expected a ProtocolError");
  } catch (const rocketmq::ProtocolError& error) {
    CHECK_THAT(error.what(), Catch::Matchers::Contains("malformed frame from " + bad.address()));
  }
  CHECK(client.stats().malformed_frames == 1);
  // The healthy connection was untouched; the bad address reconnects on next use.
  CHECK(client.invoke_sync(good.address(), ping(), 2s).code == 0);
  CHECK(client.stats().connections_opened == 2);
  CHECK_THROWS_AS(client.invoke_sync(bad.address(), ping(), 2s), rocketmq::ProtocolError);
  CHECK(bad.accepted() == 2);
}

TEST_CASE("a frame length over the limit is refused before any allocation", "[remoting][fault]") {
  FakePeer peer([](PeerConnection& connection, RemotingCommand&) {
    connection.write_raw(std::string("\x7f\xff\xff\xff", 4));
  });
  RemotingClient client;
  CHECK_THROWS_WITH(client.invoke_sync(peer.address(), ping(), 2s),
                    Catch::Matchers::Contains("exceeds the limit of 16777216"));
}

TEST_CASE("a connection closed in the middle of a frame fails the request with a ConnectError",
          "[remoting][fault]") {
  FakePeer peer([](PeerConnection& connection, RemotingCommand& request) {
    auto frame = rocketmq::remoting::encode_frame(RemotingCommand::response_to(request, 0), SerializeType::Json);
    connection.write_raw(frame.substr(0, frame.size() / 2));
    connection.close();
  });
  RemotingClient client;
  try {
    client.invoke_sync(peer.address(), ping(), 5s);
    FAIL("expected a ConnectError");
  } catch (const rocketmq::ConnectError& error) {
    CHECK_THAT(error.what(), Catch::Matchers::Contains("in the middle of a frame"));
  }
}

TEST_CASE("a peer that never answers: the timeout fires and the callback runs exactly once",
          "[remoting][fault]") {
  Outcome outcome;  // before the client: its threads may still record into it while it shuts down
  FakePeer peer([](PeerConnection&, RemotingCommand&) {});
  RemotingClient client;
  client.invoke_async(peer.address(), ping(), 100ms, [&](InvokeResult&& result) { outcome.record(std::move(result)); });
  REQUIRE(wait_until([&] { return outcome.calls.load() == 1; }, 5s));
  CHECK_FALSE(outcome.ok);
  CHECK_THAT(error_text(outcome.error), Catch::Matchers::Contains("timed out after 100 ms"));
  // Closing the connection afterwards must not run the callback again.
  client.close_connection(peer.address());
  REQUIRE(wait_until([&] { return client.stats().open_connections == 0; }, 5s));
  client.shutdown();
  CHECK(outcome.calls == 1);
  CHECK(client.stats().timeouts == 1);
  CHECK(client.stats().pending_async == 0);
}

TEST_CASE("requests time out by their own deadlines, whatever order they were sent in", "[remoting][fault]") {
  // One timer serves a connection's requests: a short timeout sent after a long one must not wait
  // for the long one's deadline, and the long one must not fire with the short one.
  Outcome long_wait;
  Outcome short_wait;
  Outcome second_short;
  FakePeer peer([](PeerConnection&, RemotingCommand&) {});
  RemotingClientOptions options;
  options.close_on_timeout = false;  // the long request must outlive the short one's timeout
  RemotingClient client(options);
  client.invoke_async(peer.address(), ping("long"), 60s, [&](InvokeResult&& result) { long_wait.record(std::move(result)); });
  const auto sent = std::chrono::steady_clock::now();
  client.invoke_async(peer.address(), ping("short"), 100ms, [&](InvokeResult&& result) { short_wait.record(std::move(result)); });
  REQUIRE(wait_until([&] { return short_wait.calls.load() == 1; }, 10s));
  CHECK(std::chrono::steady_clock::now() - sent < 10s);
  CHECK_THAT(error_text(short_wait.error), Catch::Matchers::Contains("timed out after 100 ms"));
  CHECK(long_wait.calls == 0);
  // The timer is armed again for the next deadline.
  client.invoke_async(peer.address(), ping("again"), 100ms, [&](InvokeResult&& result) { second_short.record(std::move(result)); });
  REQUIRE(wait_until([&] { return second_short.calls.load() == 1; }, 10s));
  CHECK(long_wait.calls == 0);
  CHECK(client.stats().timeouts == 2);
  client.shutdown();  // fails the long one, once, as a shutdown and not a timeout
  CHECK(long_wait.calls == 1);
  CHECK_THAT(error_text(long_wait.error), !Catch::Matchers::Contains("timed out"));
  CHECK(client.stats().timeouts == 2);
}

TEST_CASE("an answer that arrives after its timeout is dropped", "[remoting][fault]") {
  Outcome outcome;
  std::mutex mutex;
  std::condition_variable released;
  bool release = false;
  auto release_peer = [&] {
    {
      std::lock_guard<std::mutex> lock(mutex);
      release = true;
    }
    released.notify_all();
  };
  // A failed REQUIRE must not leave the peer's thread blocked: ~FakePeer would wait for it forever.
  struct ReleaseOnExit {
    std::function<void()> release;
    ~ReleaseOnExit() { release(); }
  };
  FakePeer peer([&](PeerConnection& connection, RemotingCommand& request) {
    std::unique_lock<std::mutex> lock(mutex);
    released.wait(lock, [&] { return release; });
    connection.send(RemotingCommand::response_to(request, 0));
  });
  ReleaseOnExit release_on_exit{release_peer};
  RemotingClientOptions options;
  options.close_on_timeout = false;  // the late answer needs the connection that timed out
  RemotingClient client(options);
  client.invoke_async(peer.address(), ping(), 50ms, [&](InvokeResult&& result) { outcome.record(std::move(result)); });
  REQUIRE(wait_until([&] { return outcome.calls.load() == 1; }, 5s));
  CHECK_FALSE(outcome.ok);
  release_peer();
  REQUIRE(wait_until([&] { return client.stats().late_responses == 1; }, 5s));
  CHECK(outcome.calls == 1);
}

TEST_CASE("10,000 concurrent async requests all complete exactly once", "[remoting][fault]") {
  constexpr int kRequests = 10000;
  std::atomic<int> answered{0};
  std::atomic<int> failed{0};
  std::atomic<int> wrong{0};
  FakePeer peer(FakePeer::echo(SerializeType::RocketMQ));
  FakePeer silent([](PeerConnection&, RemotingCommand&) {});
  RemotingClientOptions options;
  options.close_on_timeout = false;  // one connection per peer for the whole burst
  RemotingClient client(options);
  for (int i = 0; i < kRequests; ++i) {
    const bool to_silent = i % 10 == 0;  // a tenth go to a peer that never answers
    // The answered ones get a minute: under TSan on a loaded 2-core machine the whole burst has taken
    // over 20 s, and an answer that merely came late would count as a lost one.
    client.invoke_async(to_silent ? silent.address() : peer.address(), ping(std::to_string(i)),
                        to_silent ? 200ms : 60s, [&, i](InvokeResult&& result) {
                          if (result.response) {
                            // find, not at(): a throw here would skip the count and stall the wait.
                            const auto& fields = result.response->ext_fields;
                            const auto topic = fields.find("topic");
                            if (topic == fields.end() || topic->second != std::to_string(i)) ++wrong;
                            ++answered;
                          } else {
                            ++failed;
                          }
                        });
  }
  REQUIRE(wait_until([&] { return answered + failed == kRequests; }, 120s));
  CHECK(answered == kRequests - kRequests / 10);
  CHECK(failed == kRequests / 10);
  CHECK(wrong == 0);
  CHECK(client.stats().timeouts == kRequests / 10);  // exactly the silent peer's, none answered
  CHECK(client.stats().pending_async == 0);
  CHECK(client.stats().connections_opened == 2);
}

TEST_CASE("shutdown fails pending requests once, joins threads and is idempotent", "[remoting][fault]") {
  Outcome outcomes[20];
  FakePeer silent([](PeerConnection&, RemotingCommand&) {});
  RemotingClient client;
  for (auto& outcome : outcomes) {
    client.invoke_async(silent.address(), ping(), 60s, [&outcome](InvokeResult&& result) { outcome.record(std::move(result)); });
  }
  REQUIRE(wait_until([&] { return silent.frames() == 20; }, 5s));
  client.shutdown();
  client.shutdown();
  for (auto& outcome : outcomes) {
    CHECK(outcome.calls == 1);
    CHECK_THAT(error_text(outcome.error), Catch::Matchers::Contains("shut down"));
  }
  CHECK_THROWS_AS(client.invoke_sync(silent.address(), ping(), 1s), rocketmq::ClientError);
}

TEST_CASE("connect failures are ConnectErrors naming the address, and the next use reconnects",
          "[remoting][fault]") {
  std::string address;
  {
    FakePeer gone(FakePeer::echo());
    address = gone.address();
  }  // closed: the port now refuses connections
  RemotingClient client;
  CHECK_THROWS_WITH(client.invoke_sync(address, ping(), 2s),
                    Catch::Matchers::Contains("cannot connect to " + address));
  CHECK_THROWS_WITH(client.invoke_sync("no-port", ping(), 2s), Catch::Matchers::Contains("invalid address"));
  CHECK(client.stats().connect_failures == 2);
}

TEST_CASE("outstanding async and oneway requests are bounded", "[remoting][fault]") {
  FakePeer silent([](PeerConnection&, RemotingCommand&) {});
  RemotingClientOptions options;
  options.max_async_requests = 3;
  RemotingClient client(options);
  for (int i = 0; i < 3; ++i) client.invoke_async(silent.address(), ping(), 60s, [](InvokeResult&&) {});
  CHECK_THROWS_WITH(client.invoke_async(silent.address(), ping(), 60s, [](InvokeResult&&) {}),
                    Catch::Matchers::Contains("too many outstanding async requests (limit 3)"));
  client.shutdown();
  CHECK(client.stats().pending_async == 0);
}

TEST_CASE("oneway requests carry the oneway flag and get no answer", "[remoting][fault]") {
  std::atomic<int> oneway_seen{0};
  FakePeer peer([&](PeerConnection& connection, RemotingCommand& request) {
    if (request.is_oneway()) ++oneway_seen;
  });
  RemotingClient client;
  for (int i = 0; i < 100; ++i) client.invoke_oneway(peer.address(), ping());
  // Generous deadlines: they cost nothing when the frames arrive, and a loaded TSan run has needed
  // more than 5 s.
  REQUIRE(wait_until([&] { return oneway_seen == 100; }, 30s));
  REQUIRE(wait_until([&] { return client.stats().pending_oneway == 0; }, 30s));
}

TEST_CASE("requests from the peer are dispatched by code and answered", "[remoting][fault]") {
  std::mutex mutex;
  std::vector<RemotingCommand> answers;
  PeerConnection* server_side = nullptr;
  FakePeer peer([&](PeerConnection& connection, RemotingCommand& command) {
    std::lock_guard<std::mutex> lock(mutex);
    if (command.is_response()) {
      answers.push_back(command);
    } else {
      server_side = &connection;
      connection.send(RemotingCommand::response_to(command, 0));
    }
  });
  std::atomic<int> notified{0};
  RemotingClient client;
  client.register_processor(40, [&](const std::string&, RemotingCommand&) -> std::optional<RemotingCommand> {
    ++notified;
    return std::nullopt;
  });
  client.register_processor(307, [&](const std::string&, RemotingCommand& request) -> std::optional<RemotingCommand> {
    auto response = RemotingCommand::response_to(request, 0);
    response.body = "running info for " + request.ext_fields["consumerGroup"];
    return response;
  });
  REQUIRE(client.invoke_sync(peer.address(), ping(), 2s).code == 0);  // opens the connection
  {
    std::lock_guard<std::mutex> lock(mutex);
    REQUIRE(server_side != nullptr);
    auto notify = RemotingCommand::request(40);
    notify.opaque = 100;
    notify.mark_oneway();
    server_side->send(notify);
    auto running = RemotingCommand::request(307);
    running.opaque = 101;
    running.ext_fields["consumerGroup"] = "G1";
    server_side->send(running, SerializeType::RocketMQ);
    auto unknown = RemotingCommand::request(9999);
    unknown.opaque = 102;
    server_side->send(unknown);
  }
  REQUIRE(wait_until([&] {
    std::lock_guard<std::mutex> lock(mutex);
    return answers.size() == 2;
  }, 5s));
  CHECK(notified == 1);
  std::lock_guard<std::mutex> lock(mutex);
  for (const auto& answer : answers) {
    if (answer.opaque == 101) {
      CHECK(answer.code == 0);
      CHECK(answer.body == "running info for G1");
    } else {
      CHECK(answer.opaque == 102);
      CHECK(answer.code == 3);
      CHECK(answer.remark.value_or("") == " request type 9999 not supported");
    }
  }
}

TEST_CASE("the rpc hook sees every outgoing request before it is sent", "[remoting][fault]") {
  struct SigningHook : rocketmq::remoting::RpcHook {
    std::atomic<int> seen{0};
    void before_request(const std::string&, RemotingCommand& request) override {
      ++seen;
      request.ext_fields["AccessKey"] = "ak";
    }
  };
  FakePeer peer(FakePeer::echo());
  RemotingClient client;
  auto hook = std::make_shared<SigningHook>();
  client.set_rpc_hook(hook);
  auto response = client.invoke_sync(peer.address(), ping(), 2s);
  client.invoke_oneway(peer.address(), ping());
  CHECK(response.ext_fields.at("AccessKey") == "ak");
  CHECK(hook->seen == 2);
}

TEST_CASE("invoke_sync on an I/O thread is refused instead of deadlocking", "[remoting][fault]") {
  std::atomic<bool> refused{false};
  std::atomic<bool> done{false};
  FakePeer peer(FakePeer::echo());
  RemotingClient client;
  client.invoke_async(peer.address(), ping(), 2s, [&](InvokeResult&&) {
    try {
      client.invoke_sync(peer.address(), ping(), 2s);
    } catch (const rocketmq::ClientError&) {
      refused = true;
    }
    done = true;
  });
  REQUIRE(wait_until([&] { return done.load(); }, 5s));
  CHECK(refused);
}

// ---- dead connections ----------------------------------------------------------------------------

namespace {

// The TCP timer the kernel runs on the socket whose local port is `port` (field "tr" of
// /proc/net/tcp: 0 none, 1 retransmit, 2 keepalive, ...); -1 when no such socket is listed.
int kernel_timer_of_local_port(int port) {
  std::ifstream table("/proc/net/tcp");
  std::string line;
  std::getline(table, line);  // header
  while (std::getline(table, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer;
    fields >> slot >> local >> remote >> state >> queues >> timer;
    const auto colon = local.find(':');
    if (colon == std::string::npos) continue;
    if (std::stoi(local.substr(colon + 1), nullptr, 16) != port) continue;
    if (state != "01") continue;  // ESTABLISHED
    return std::stoi(timer.substr(0, timer.find(':')), nullptr, 16);
  }
  return -1;
}

int peer_port_of(const PeerConnection& connection) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  if (::getpeername(connection.fd(), reinterpret_cast<sockaddr*>(&address), &length) != 0) return -1;
  return ntohs(address.sin_port);
}

}  // namespace

TEST_CASE("a request that times out closes its connection: the others fail at once, the next use reconnects",
          "[remoting][fault]") {
  Outcome slow;
  Outcome lost;
  std::atomic<int> seen{0};
  // Answers from the third request on, as a broker that came back would.
  FakePeer peer([&](PeerConnection& connection, RemotingCommand& request) {
    if (++seen <= 2) return;
    connection.send(RemotingCommand::response_to(request, 0));
  });
  RemotingClient client;
  const auto started = std::chrono::steady_clock::now();
  client.invoke_async(peer.address(), ping(), 60s, [&](InvokeResult&& result) { slow.record(std::move(result)); });
  client.invoke_async(peer.address(), ping(), 200ms, [&](InvokeResult&& result) { lost.record(std::move(result)); });
  REQUIRE(wait_until([&] { return slow.calls.load() == 1 && lost.calls.load() == 1; }, 10s));
  const auto waited = std::chrono::steady_clock::now() - started;
  CHECK_THAT(error_text(lost.error), Catch::Matchers::Contains("timed out after 200 ms"));
  // The 60 s request did not wait for its own timeout: one timeout cost it all.
  CHECK(waited < 5s);
  CHECK_THAT(error_text(slow.error), Catch::Matchers::Contains("closed after a request timed out"));
  CHECK_THROWS_AS(std::rethrow_exception(slow.error), rocketmq::ConnectError);
  CHECK(client.stats().closed_after_timeout == 1);
  REQUIRE(wait_until([&] { return client.stats().open_connections == 0; }, 5s));
  auto response = client.invoke_sync(peer.address(), ping(), 5s);
  CHECK(response.code == 0);
  CHECK(peer.accepted() == 2);
  CHECK(slow.calls == 1);
  CHECK(lost.calls == 1);
}

TEST_CASE("a request that times out on a connection that answers others leaves it open", "[remoting][fault]") {
  // A slow broker under load: it never answers the second request (a probe with a short timeout),
  // but answers everything else. The requests in flight beside the probe must not fail with it.
  std::atomic<int> seen{0};
  FakePeer peer([&](PeerConnection& connection, RemotingCommand& request) {
    if (++seen == 2) return;
    connection.send(RemotingCommand::response_to(request, 0));
  });
  RemotingClient client;
  REQUIRE(client.invoke_sync(peer.address(), ping(), 5s).code == 0);  // the connection is open
  Outcome probe;
  client.invoke_async(peer.address(), ping(), 400ms, [&](InvokeResult&& result) { probe.record(std::move(result)); });
  // Answered requests keep flowing on the connection while the probe waits.
  for (int i = 0; i < 8; ++i) {
    CHECK(client.invoke_sync(peer.address(), ping(), 5s).code == 0);
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(wait_until([&] { return probe.calls.load() == 1; }, 10s));
  CHECK_THAT(error_text(probe.error), Catch::Matchers::Contains("timed out after 400 ms"));
  CHECK(client.stats().closed_after_timeout == 0);
  CHECK(client.stats().open_connections == 1);
  CHECK(peer.accepted() == 1);
}

TEST_CASE("an idle connection is closed after the limit, a busy one is kept", "[remoting][fault]") {
  FakePeer peer(FakePeer::echo());
  RemotingClientOptions options;
  options.idle_timeout = 2s;  // long enough that a loaded machine's stall between requests is shorter
  RemotingClient client(options);
  // Busy: a request every 100 ms for 4 s keeps one connection.
  for (int i = 0; i < 40; ++i) {
    client.invoke_sync(peer.address(), ping(), 5s);
    std::this_thread::sleep_for(100ms);
  }
  CHECK(client.stats().connections_opened == 1);
  CHECK(client.stats().closed_idle == 0);
  // Idle: closed within about one limit, and the next use opens a new one.
  const auto idle_since = std::chrono::steady_clock::now();
  REQUIRE(wait_until([&] { return client.stats().open_connections == 0; }, 5s));
  CHECK(std::chrono::steady_clock::now() - idle_since < 5s);
  CHECK(client.stats().closed_idle == 1);
  CHECK(client.invoke_sync(peer.address(), ping(), 5s).code == 0);
  CHECK(client.stats().connections_opened == 2);
}

TEST_CASE("connections have TCP keepalive on", "[remoting][fault]") {
  std::mutex mutex;
  int client_port = -1;
  FakePeer peer([&](PeerConnection& connection, RemotingCommand& request) {
    {
      std::lock_guard<std::mutex> lock(mutex);
      client_port = peer_port_of(connection);
    }
    connection.send(RemotingCommand::response_to(request, 0));
  });
  for (const bool keepalive : {true, false}) {
    RemotingClientOptions options;
    options.tcp_keepalive = keepalive;
    RemotingClient client(options);
    REQUIRE(client.invoke_sync(peer.address(), ping(), 5s).code == 0);
    int port = -1;
    {
      std::lock_guard<std::mutex> lock(mutex);
      port = client_port;
    }
    REQUIRE(port > 0);
    // An idle socket with SO_KEEPALIVE has the keepalive timer (2) armed; without it, none (0).
    CHECK(kernel_timer_of_local_port(port) == (keepalive ? 2 : 0));
    client.shutdown();
  }
}

TEST_CASE("a peer that accepts and never answers costs one request timeout, then requests fail fast",
          "[remoting][fault]") {
  FakePeer hole([](PeerConnection&, RemotingCommand&) {});
  RemotingClient client;
  const auto started = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(client.invoke_sync(hole.address(), ping(), 300ms), rocketmq::TimeoutError);
  CHECK(std::chrono::steady_clock::now() - started < 2s);
  REQUIRE(wait_until([&] { return client.stats().open_connections == 0; }, 5s));
  CHECK(client.stats().pending_async == 0);
}

TEST_CASE("last_heard_from: none without a connection, its opening until bytes come, then the last answer",
          "[remoting][fault]") {
  // The first request is held (a long poll), the others are answered.
  std::atomic<int> seen{0};
  FakePeer peer([&](PeerConnection& connection, RemotingCommand& request) {
    if (++seen == 1) return;
    connection.send(RemotingCommand::response_to(request, 0));
  });
  RemotingClient client;
  CHECK_FALSE(client.last_heard_from(peer.address()));
  const auto before_open = std::chrono::steady_clock::now();
  Outcome held;
  client.invoke_async(peer.address(), ping(), 30s, [&](InvokeResult&& result) { held.record(std::move(result)); });
  REQUIRE(wait_until([&] { return seen.load() == 1; }, 5s));
  const auto opened = client.last_heard_from(peer.address());
  REQUIRE(opened);
  CHECK(*opened >= before_open);
  const auto before_answer = std::chrono::steady_clock::now();
  CHECK(*opened <= before_answer);
  // Nothing came yet: the time stays.
  REQUIRE(wait_until([&] { return std::chrono::steady_clock::now() - before_answer >= 50ms; }, 1s));
  CHECK(client.last_heard_from(peer.address()) == opened);
  REQUIRE(client.invoke_sync(peer.address(), ping(), 5s).code == 0);
  const auto answered = client.last_heard_from(peer.address());
  REQUIRE(answered);
  CHECK(*answered >= before_answer);
  client.close_connection(peer.address());
  REQUIRE(wait_until([&] { return !client.last_heard_from(peer.address()); }, 5s));
  REQUIRE(wait_until([&] { return held.calls.load() == 1; }, 5s));
  CHECK_FALSE(held.ok.load());
}
