// Against a secured cluster only: test/cluster/cluster.sh started with RMQ_TLS=1 RMQ_ACL=1 (build.sh
// test runs these after the main cluster, on a cluster of their own). Excluded from the ctest run
// against the plain cluster (test/CMakeLists.txt). Environment, as for cluster.sh:
//   NAMESRV_ADDR                                 the secured name server
//   RMQ_STORE_ROOT                               its store; the CA is $RMQ_STORE_ROOT/tls/ca.pem
//   RMQ_ACL_ACCESS_KEY / RMQ_ACL_SECRET_KEY      super user (rocketmq2 / 12345678)
//   RMQ_ACL_SUB_ACCESS_KEY / RMQ_ACL_SUB_SECRET_KEY / RMQ_ACL_SUB_TOPIC  subscribe-only user
#include <catch2/catch.hpp>
#include <rocketmq/rocketmq.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

#include "common/log.h"
#include "consumer_support.h"
#include "support/test_env.h"

using namespace std::chrono_literals;
using Catch::Contains;
using rocketmq::AuthError;
using rocketmq::ConnectError;
using rocketmq::test::namesrv_addr;
using rocketmq::test::shell_quote;
using rocketmq::test::unique_name;
using rocketmq::test::wait_until;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : fallback;
}

struct Secured {
  std::string tls_dir = env_or("RMQ_STORE_ROOT", "/dev/shm/rmq-it") + "/tls";
  std::string ca = tls_dir + "/ca.pem";
  std::string other_ca = tls_dir + "/other-ca.pem";
  std::string ak = env_or("RMQ_ACL_ACCESS_KEY", "rocketmq2");
  std::string sk = env_or("RMQ_ACL_SECRET_KEY", "12345678");
  std::string sub_ak = env_or("RMQ_ACL_SUB_ACCESS_KEY", "subscriber");
  std::string sub_sk = env_or("RMQ_ACL_SUB_SECRET_KEY", "87654321");
  std::string sub_topic = env_or("RMQ_ACL_SUB_TOPIC", "SecuritySubOnly");
  // RMQ_TLS_CLIENT_AUTH=require: the servers accept only clients with a certificate of their CA.
  bool client_auth_required = env_or("RMQ_TLS_CLIENT_AUTH", "none") == "require";
  std::string client_cert = tls_dir + "/client.pem";
  std::string client_key = tls_dir + "/client.key";

  Secured() {
    struct stat info {};
    INFO("no " << ca << ": start the cluster with RMQ_TLS=1 RMQ_ACL=1 and the same RMQ_STORE_ROOT");
    REQUIRE(::stat(ca.c_str(), &info) == 0);
    // The Java peer signs with the super user and speaks verified TLS (test/interop/interop.sh).
    ::setenv("INTEROP_ACCESS_KEY", ak.c_str(), 1);
    ::setenv("INTEROP_SECRET_KEY", sk.c_str(), 1);
    ::setenv("INTEROP_TLS_CA", ca.c_str(), 1);
    if (client_auth_required) {
      ::setenv("INTEROP_TLS_CERT", client_cert.c_str(), 1);
      ::setenv("INTEROP_TLS_KEY", client_key.c_str(), 1);
    }
  }

  // The secrets a log line or error text must never contain.
  std::vector<std::string> secrets() const { return {sk, sub_sk, "wrong-" + sk}; }

  template <typename Option>
  void secure(Option& option, const std::string& access_key, const std::string& secret_key) const {
    option.set_tls_enabled(true);
    option.set_tls_ca_file(ca);
    option.set_credentials(access_key, secret_key);
    if (client_auth_required) {
      option.set_tls_cert_file(client_cert);
      option.set_tls_key_file(client_key);
    }
  }
};

// Every SDK log line while it lives (at debug level, so that the most is checked).
class LogCapture {
 public:
  LogCapture() : previous_(rocketmq::common::log_threshold()) {
    rocketmq::common::set_log_threshold(rocketmq::common::LogLevel::Debug);
    rocketmq::common::set_log_capture([this](const std::string& line) {
      std::lock_guard<std::mutex> lock(mutex_);
      lines_.push_back(line);
    });
  }
  ~LogCapture() {
    rocketmq::common::set_log_capture(nullptr);
    rocketmq::common::set_log_threshold(previous_);
  }
  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_;
  }
  // The first line containing any of `needles`, or "".
  std::string find_any(const std::vector<std::string>& needles) const {
    for (const auto& line : lines()) {
      for (const auto& needle : needles) {
        if (line.find(needle) != std::string::npos) return line;
      }
    }
    return "";
  }

 private:
  rocketmq::common::LogLevel previous_;
  mutable std::mutex mutex_;
  std::vector<std::string> lines_;
};

rocketmq::ProducerOption producer_option() {
  rocketmq::ProducerOption option;
  option.set_name_server_addr(namesrv_addr());
  option.set_group_name(unique_name("sec_producer"));
  option.set_send_timeout(10s);
  option.set_request_timeout(10s);
  return option;
}

rocketmq::ConsumerOption consumer_option(const std::string& group) {
  auto option = rocketmq::test::consumer_option(group, unique_name("sec_instance"));
  option.set_request_timeout(5s);
  return option;
}

// A loaded machine makes a fresh broker answer "busy" now and then: a few attempts.
void create_topic(const std::string& topic) {
  int exit_code = -1;
  for (int attempt = 0; attempt < 3 && exit_code != 0; ++attempt) {
    exit_code = rocketmq::test::run_interop("create-topic --namesrv " + shell_quote(namesrv_addr()) + " --topic " +
                                            topic + " --queues 4")
                    .exit_code;
  }
  REQUIRE(exit_code == 0);
}

bool is_busy(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const rocketmq::BrokerError& e) {
    return e.response_code() == 2;  // SYSTEM_BUSY: refused before storing, safe to send again
  } catch (...) {
    return false;
  }
}

// Runs `action`, which must throw E within 15 s; returns its what() after checking it names no secret.
template <typename E>
std::string expect_error_within_15s(const Secured& secured, const std::function<void()>& action) {
  const auto started = std::chrono::steady_clock::now();
  std::string text;
  try {
    action();
    FAIL("no exception");
  } catch (const E& error) {
    text = error.what();
  } catch (const std::exception& error) {
    FAIL("wrong exception type: " << error.what());
  }
  const auto took = std::chrono::steady_clock::now() - started;
  INFO(text);
  CHECK(took < 15s);
  for (const auto& secret : secured.secrets()) CHECK(text.find(secret) == std::string::npos);
  return text;
}

}  // namespace

TEST_CASE("2000 messages round trip over verified TLS with ACL keys, and the Java client reads ours and we its",
          "[security]") {
  Secured secured;
  LogCapture log;
  const std::string topic = unique_name("sec_topic");
  create_topic(topic);

  rocketmq::ProducerOption p_option = producer_option();
  secured.secure(p_option, secured.ak, secured.sk);
  rocketmq::Producer producer(p_option);
  producer.start();
  constexpr int kCount = 2000;
  // Asynchronous sends, at most 64 in flight: 2000 signed requests over TLS without 2000 round
  // trips in a row. Messages are told apart by their keys; one the broker refused as busy (not
  // stored) is sent again.
  std::mutex sent_mutex;
  std::set<std::string> sent_keys;
  std::vector<int> busy;
  std::vector<std::string> send_errors;
  std::atomic<int> in_flight{0};
  auto send_one = [&](int i) {
    rocketmq::Message message(topic, "TagA", "secured body " + std::to_string(i));
    message.set_keys("sec-" + std::to_string(i));
    in_flight.fetch_add(1);
    producer.send(message, [&, i](const rocketmq::SendResult&, std::exception_ptr error) {
      std::lock_guard<std::mutex> lock(sent_mutex);
      if (!error) {
        sent_keys.insert("sec-" + std::to_string(i));
      } else if (is_busy(error)) {
        busy.push_back(i);
      } else {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& e) {
          send_errors.push_back(e.what());
        }
      }
      in_flight.fetch_sub(1);
    });
  };
  std::vector<int> to_send;
  for (int i = 0; i < kCount; ++i) to_send.push_back(i);
  for (int round = 0; round < 5 && !to_send.empty(); ++round) {
    for (int i : to_send) {
      REQUIRE(wait_until([&] { return in_flight.load() < 64; }, 60s, 1ms));
      send_one(i);
    }
    REQUIRE(wait_until([&] { return in_flight.load() == 0; }, 120s));
    std::lock_guard<std::mutex> lock(sent_mutex);
    to_send.swap(busy);
    busy.clear();
  }
  {
    std::lock_guard<std::mutex> lock(sent_mutex);
    INFO("first send error: " << (send_errors.empty() ? "" : send_errors.front()));
    REQUIRE(send_errors.empty());
    REQUIRE(sent_keys.size() == static_cast<std::size_t>(kCount));
  }

  const std::string group = unique_name("sec_group");
  auto c_option = consumer_option(group);
  secured.secure(c_option, secured.ak, secured.sk);
  rocketmq::PushConsumer consumer(c_option);
  consumer.subscribe(topic, "*");
  auto listener = std::make_unique<rocketmq::test::RecordingListener>();
  auto* recorded = listener.get();
  consumer.register_message_listener(std::move(listener));
  consumer.start();
  auto received_keys = [&] {
    std::set<std::string> keys;
    for (const auto& message : recorded->messages()) keys.insert(message.get_keys());
    return keys;
  };
  CHECK(wait_until([&] { return received_keys().size() >= static_cast<std::size_t>(kCount); }, 120s));
  CHECK(received_keys() == sent_keys);

  // The Java client, signing with the same user over verified TLS, reads exactly ours (each
  // message once: a send retried after a lost answer is stored twice, with the same msgId) ...
  auto java_read = rocketmq::test::run_interop("consume --namesrv " + shell_quote(namesrv_addr()) + " --group " +
                                               unique_name("sec_java_group") + " --topic " + topic +
                                               " --from first --dedup --count " + std::to_string(kCount) +
                                               " --timeout-ms 90000");
  REQUIRE(java_read.exit_code == 0);
  std::set<std::string> java_keys;
  for (const auto& line : java_read.stdout_lines) {
    java_keys.insert(rocketmq::test::parse_json(line)["keys"].GetString());
  }
  CHECK(java_keys == sent_keys);

  // ... and what it produces reaches our consumer.
  auto java_sent = rocketmq::test::produce(topic, 100);
  REQUIRE(java_sent.size() == 100);
  auto has_all_java = [&] {
    const auto deliveries = recorded->deliveries();
    for (const auto& id : java_sent) {
      if (deliveries.count(id) == 0) return false;
    }
    return true;
  };
  CHECK(wait_until(has_all_java, 60s));

  consumer.shutdown();
  producer.shutdown();
  const auto leaked = log.find_any(secured.secrets());
  INFO("log line with a secret: " << leaked);
  CHECK(leaked.empty());
  CHECK_FALSE(log.lines().empty());  // the capture saw the run
}

TEST_CASE("refused keys, missing TLS and an untrusted CA are clear errors within 15 s, secrets never logged",
          "[security]") {
  Secured secured;
  LogCapture log;
  // Catch runs the test case once per section: one topic for all of them.
  static const std::string topic = [] {
    const std::string name = unique_name("sec_err_topic");
    create_topic(name);
    return name;
  }();

  SECTION("a wrong secret: AuthError from Producer::start and PushConsumer::start") {
    auto p_option = producer_option();
    secured.secure(p_option, secured.ak, "wrong-" + secured.sk);
    rocketmq::Producer producer(p_option);
    auto text = expect_error_within_15s<AuthError>(secured, [&] { producer.start(); });
    CHECK_THAT(text, Contains("signature") && Contains("127.0.0.1:"));

    auto c_option = consumer_option(unique_name("sec_err_group"));
    secured.secure(c_option, secured.ak, "wrong-" + secured.sk);
    rocketmq::PushConsumer consumer(c_option);
    consumer.subscribe(topic, "*");
    consumer.register_message_listener(std::make_unique<rocketmq::test::RecordingListener>());
    text = expect_error_within_15s<AuthError>(secured, [&] { consumer.start(); });
    CHECK_THAT(text, Contains("signature"));
  }
  SECTION("an unknown access key: AuthError naming it") {
    auto p_option = producer_option();
    secured.secure(p_option, "nobody-here", secured.sk);
    rocketmq::Producer producer(p_option);
    auto text = expect_error_within_15s<AuthError>(secured, [&] { producer.start(); });
    CHECK_THAT(text, Contains("nobody-here"));

    auto c_option = consumer_option(unique_name("sec_err_group"));
    secured.secure(c_option, "nobody-here", secured.sk);
    rocketmq::PushConsumer consumer(c_option);
    consumer.subscribe(topic, "*");
    consumer.register_message_listener(std::make_unique<rocketmq::test::RecordingListener>());
    text = expect_error_within_15s<AuthError>(secured, [&] { consumer.start(); });
    CHECK_THAT(text, Contains("nobody-here"));
  }
  SECTION("the subscribe-only user: may consume its topic, may not produce") {
    create_topic(secured.sub_topic);
    auto p_option = producer_option();
    secured.secure(p_option, secured.sub_ak, secured.sub_sk);
    p_option.set_retry_times(0);
    rocketmq::Producer producer(p_option);
    producer.start();  // authenticated; sending is what it may not do
    auto text = expect_error_within_15s<AuthError>(
        secured, [&] { producer.send(rocketmq::Message(secured.sub_topic, "not allowed")); });
    CHECK_THAT(text, Contains(secured.sub_topic) && Contains("no permission"));
    producer.shutdown();

    auto c_option = consumer_option(unique_name("sec_sub_group"));
    secured.secure(c_option, secured.sub_ak, secured.sub_sk);
    rocketmq::PushConsumer consumer(c_option);
    consumer.subscribe(secured.sub_topic, "*");
    consumer.register_message_listener(std::make_unique<rocketmq::test::RecordingListener>());
    CHECK_NOTHROW(consumer.start());
    consumer.shutdown();

    // The broker authorises a heartbeat as a whole: the subscription it may not read is dropped at
    // start() and reported as an AuthError naming that topic; the other one is consumed.
    auto mixed_option = consumer_option(unique_name("sec_sub_group"));
    secured.secure(mixed_option, secured.sub_ak, secured.sub_sk);
    mixed_option.set_consume_from_where(rocketmq::ConsumeFromWhere::ConsumeFromFirstOffset);
    // The dropped subscription is asked for again every heartbeat interval.
    mixed_option.set_heartbeat_interval(2s);
    std::mutex reported_mutex;
    std::vector<rocketmq::BackgroundError> reported;
    mixed_option.set_error_listener([&](const rocketmq::BackgroundError& error) {
      std::lock_guard<std::mutex> lock(reported_mutex);
      reported.push_back(error);
    });
    rocketmq::PushConsumer mixed(mixed_option);
    mixed.subscribe(secured.sub_topic, "*");
    mixed.subscribe(topic, "*");
    auto owned = std::make_unique<rocketmq::test::RecordingListener>();
    auto* received = owned.get();
    mixed.register_message_listener(std::move(owned));
    const auto started = std::chrono::steady_clock::now();
    REQUIRE_NOTHROW(mixed.start());
    CHECK(std::chrono::steady_clock::now() - started < 15s);
    {
      std::lock_guard<std::mutex> lock(reported_mutex);
      REQUIRE(reported.size() == 1);
      CHECK(reported.front().operation == "subscribe");
      CHECK_THAT(reported.front().what, Contains(topic));
      CHECK_THROWS_AS(std::rethrow_exception(reported.front().error), AuthError);
    }
    // The allowed subscription works: a message the full user produces to it arrives.
    auto writer_option = producer_option();
    secured.secure(writer_option, secured.ak, secured.sk);
    rocketmq::Producer writer(writer_option);
    writer.start();
    writer.send(rocketmq::Message(secured.sub_topic, "allowed-" + topic));
    CHECK(wait_until(
        [&] {
          for (const auto& message : received->messages()) {
            if (message.get_body() == "allowed-" + topic) return true;
          }
          return false;
        },
        30s));
    // Still denied: the refused topic's messages do not arrive. Then the user is allowed to read
    // it: the consumer subscribes again by itself and gets them (first offset), no restart.
    writer.send(rocketmq::Message(topic, "denied-then-allowed-" + topic));
    auto arrived = [&] {
      for (const auto& message : received->messages()) {
        if (message.get_body() == "denied-then-allowed-" + topic) return true;
      }
      return false;
    };
    std::this_thread::sleep_for(5s);  // two re-checks, both refused
    CHECK_FALSE(arrived());
    const auto grant = rocketmq::test::run_command(
        std::string(ROCKETMQ_SOURCE_DIR) + "/test/cluster/cluster.sh admin updateAcl -n " +
        shell_quote(namesrv_addr()) + " -c DefaultCluster -s User:" + secured.sub_ak + " -r Topic:" + topic +
        " -a Sub -d Allow 2>&1");
    std::string grant_output;
    for (const auto& line : grant.stdout_lines) grant_output += line + "\n";
    INFO(grant_output);
    REQUIRE(grant.exit_code == 0);
    const auto granted = std::chrono::steady_clock::now();
    CHECK(wait_until(arrived, 60s));
    std::fprintf(stderr, "[security] topic granted after start(): consumed %.1f s after updateAcl returned\n",
                 std::chrono::duration<double>(std::chrono::steady_clock::now() - granted).count());
    writer.shutdown();
    mixed.shutdown();
  }
  SECTION("mutual TLS: a certificate of the cluster's CA is accepted, a mismatched key fails start(), servers that require one refuse a client without") {
    auto p_option = producer_option();
    secured.secure(p_option, secured.ak, secured.sk);
    p_option.set_tls_cert_file(secured.tls_dir + "/client.pem");
    p_option.set_tls_key_file(secured.tls_dir + "/client.key");
    rocketmq::Producer producer(p_option);
    CHECK_NOTHROW(producer.start());
    producer.shutdown();

    auto mismatched = producer_option();
    secured.secure(mismatched, secured.ak, secured.sk);
    mismatched.set_tls_cert_file(secured.tls_dir + "/client.pem");
    mismatched.set_tls_key_file(secured.tls_dir + "/server.key");
    rocketmq::Producer refused(mismatched);
    auto text = expect_error_within_15s<rocketmq::ClientError>(secured, [&] { refused.start(); });
    CHECK_THAT(text, Contains("key file") && Contains("server.key"));

    if (!secured.client_auth_required) {
      WARN("the servers do not require client certificates (RMQ_TLS_CLIENT_AUTH=require): a client without one is not checked");
      return;
    }
    // Servers that require a certificate refuse a client that has none (TLS and keys otherwise right).
    auto anonymous = producer_option();
    anonymous.set_tls_enabled(true);
    anonymous.set_tls_ca_file(secured.ca);
    anonymous.set_credentials(secured.ak, secured.sk);
    rocketmq::Producer anonymous_producer(anonymous);
    text = expect_error_within_15s<ConnectError>(secured, [&] { anonymous_producer.start(); });
    CHECK_THAT(text, Contains(namesrv_addr()));
  }
  SECTION("a client without TLS against TLS-only servers: ConnectError naming the address") {
    auto p_option = producer_option();
    p_option.set_credentials(secured.ak, secured.sk);
    rocketmq::Producer producer(p_option);
    auto text = expect_error_within_15s<ConnectError>(secured, [&] { producer.start(); });
    CHECK_THAT(text, Contains(namesrv_addr()) && Contains("TLS"));

    auto c_option = consumer_option(unique_name("sec_err_group"));
    c_option.set_credentials(secured.ak, secured.sk);
    rocketmq::PushConsumer consumer(c_option);
    consumer.subscribe(topic, "*");
    consumer.register_message_listener(std::make_unique<rocketmq::test::RecordingListener>());
    text = expect_error_within_15s<ConnectError>(secured, [&] { consumer.start(); });
    CHECK_THAT(text, Contains(namesrv_addr()) && Contains("TLS"));
  }
  SECTION("a client trusting another CA: ConnectError saying the certificate is not trusted") {
    auto p_option = producer_option();
    p_option.set_tls_enabled(true);
    p_option.set_tls_ca_file(secured.other_ca);
    p_option.set_credentials(secured.ak, secured.sk);
    rocketmq::Producer producer(p_option);
    auto text = expect_error_within_15s<ConnectError>(secured, [&] { producer.start(); });
    CHECK_THAT(text, Contains(namesrv_addr()) && Contains("certificate not trusted") && Contains(secured.other_ca));
  }
  SECTION("a server name the certificate does not carry: ConnectError") {
    auto p_option = producer_option();
    secured.secure(p_option, secured.ak, secured.sk);
    p_option.set_tls_server_name("broker.example.com");
    rocketmq::Producer producer(p_option);
    auto text = expect_error_within_15s<ConnectError>(secured, [&] { producer.start(); });
    CHECK_THAT(text, Contains("certificate not trusted") && Contains("broker.example.com"));
  }
  const auto leaked = log.find_any(secured.secrets());
  INFO("log line with a secret: " << leaked);
  CHECK(leaked.empty());
}
