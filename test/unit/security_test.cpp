#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

#include "client/acl_rpc_hook.h"
#include "client/client_config.h"
#include "client/remoting_mq_client_api.h"
#include "remoting/remoting_client.h"
#include "remoting/remoting_command.h"
#include "rocketmq/consumer_option.h"
#include "rocketmq/error.h"
#include "rocketmq/producer_option.h"
#include "support/fake_peer.h"

using Catch::Contains;
using rocketmq::AuthError;
using rocketmq::BrokerError;
using rocketmq::ClientError;
using rocketmq::client::AclRpcHook;
using rocketmq::client::Credentials;
using rocketmq::remoting::RemotingCommand;

namespace {

// The request the Java oracle signs (see the pinned values below).
RemotingCommand oracle_request(bool with_body) {
  auto request = RemotingCommand::request(310);
  request.ext_fields["topic"] = "TopicTest";
  request.ext_fields["queueId"] = "3";
  request.ext_fields["bornTimestamp"] = "1700000000000";
  request.ext_fields["tags"] = "\xE6\xA0\x87\xE7\xAD\xBE";  // 标签, UTF-8
  request.ext_fields["Zeta"] = "last-upper";                // upper case sorts before lower case
  if (with_body) request.body = "hello \xE4\xB8\x96\xE7\x95\x8C";  // "hello 世界"
  return request;
}

std::string temp_file(const std::string& name, const std::string& content) {
  const std::string path = "/tmp/rocketmq-security-test-" + name;
  std::ofstream(path) << content;
  return path;
}

}  // namespace

// Expected signatures computed by the Java client 5.3.3 (org.apache.rocketmq.acl.common.AclClientRPCHook)
// for the same request, with the interop tool's oracle command. Regenerate with:
//   test/interop/interop.sh sign --access-key rocketmq2 --secret-key 12345678 [--token token-1]
//     --field topic=TopicTest --field queueId=3 --field bornTimestamp=1700000000000
//     --field tags=标签 --field Zeta=last-upper [--body "hello 世界"]   (one command line)
TEST_CASE("AclRpcHook signs byte for byte as the Java AclClientRPCHook", "[acl]") {
  SECTION("with a body") {
    auto request = oracle_request(true);
    AclRpcHook({"rocketmq2", "12345678", ""}).before_request("127.0.0.1:10911", request);
    CHECK(request.ext_fields.at("Signature") == "qaw1eC5x1T+s2Zj1bIWfu7UfTPU=");
    CHECK(request.ext_fields.at("AccessKey") == "rocketmq2");
    CHECK(request.ext_fields.count("SecurityToken") == 0);
  }
  SECTION("with a security token (signed too)") {
    auto request = oracle_request(true);
    AclRpcHook({"rocketmq2", "12345678", "token-1"}).before_request("127.0.0.1:10911", request);
    CHECK(request.ext_fields.at("Signature") == "9bmRyZIz+u4FqLX8vCgTMhs72S8=");
    CHECK(request.ext_fields.at("SecurityToken") == "token-1");
  }
  SECTION("without a body") {
    auto request = oracle_request(false);
    AclRpcHook({"rocketmq2", "12345678", ""}).before_request("127.0.0.1:10911", request);
    CHECK(request.ext_fields.at("Signature") == "/KLQXno32ABuMBU8rUaxj7znBwA=");
  }
  SECTION("signing a signed request again (a retry) gives the same signature") {
    auto request = oracle_request(true);
    AclRpcHook hook({"rocketmq2", "12345678", ""});
    hook.before_request("a:1", request);
    hook.before_request("b:2", request);
    CHECK(request.ext_fields.at("Signature") == "qaw1eC5x1T+s2Zj1bIWfu7UfTPU=");
  }
  SECTION("another secret, another signature; the secret itself never goes on the wire") {
    auto request = oracle_request(true);
    AclRpcHook({"rocketmq2", "other-secret", ""}).before_request("a:1", request);
    CHECK(request.ext_fields.at("Signature") != "qaw1eC5x1T+s2Zj1bIWfu7UfTPU=");
    const auto frame = rocketmq::remoting::encode_frame(request, rocketmq::remoting::SerializeType::Json);
    CHECK(frame.find("other-secret") == std::string::npos);
    CHECK(frame.find("\"Signature\"") != std::string::npos);
    const auto binary = rocketmq::remoting::encode_frame(request, rocketmq::remoting::SerializeType::RocketMQ);
    CHECK(binary.find("other-secret") == std::string::npos);
  }
}

TEST_CASE("set_credentials validates, and its errors never quote the secret", "[acl]") {
  rocketmq::ProducerOption producer;
  rocketmq::ConsumerOption consumer;
  CHECK_FALSE(producer.has_credentials());
  producer.set_credentials("ak", "sk-value");
  CHECK(producer.has_credentials());
  CHECK(producer.access_key() == "ak");
  consumer.set_credentials("ak", "sk-value", "tok");
  CHECK(consumer.security_token() == "tok");
  CHECK_THROWS_WITH(producer.set_credentials("", "sk"), Contains("access key must be 1..255"));
  CHECK_THROWS_WITH(consumer.set_credentials("a k", "sk"), Contains("printable ASCII without spaces"));
  CHECK_THROWS_WITH(consumer.set_credentials("ak", ""), Contains("secret key of access key 'ak'"));
  try {
    producer.set_credentials("ak", std::string("top\nsecret"));
    FAIL("a control character was accepted");
  } catch (const ClientError& error) {
    CHECK_THAT(error.what(), Contains("control character"));
    CHECK(std::string(error.what()).find("secret\n") == std::string::npos);
    CHECK(std::string(error.what()).find("top") == std::string::npos);
  }
  // A rejected call leaves the previous credentials.
  CHECK(producer.access_key() == "ak");
}

TEST_CASE("TLS options validate files and names", "[acl]") {
  rocketmq::ConsumerOption option;
  CHECK_FALSE(option.tls_enabled());
  CHECK(option.tls_verify_peer());  // on by default once TLS is on
  CHECK_THROWS_WITH(option.set_tls_ca_file("/nonexistent/ca.pem"),
                    Contains("tls_ca_file: cannot use '/nonexistent/ca.pem'"));
  CHECK_THROWS_WITH(option.set_tls_cert_file("/tmp"), Contains("not a regular file"));
  CHECK_THROWS_WITH(option.set_tls_key_file(""), Contains("tls_key_file: the path is empty"));
  const auto ca = temp_file("ca.pem", "not really a certificate\n");
  CHECK_NOTHROW(option.set_tls_ca_file(ca));
  CHECK_NOTHROW(option.set_tls_server_name("broker-1.example.com"));
  CHECK_NOTHROW(option.set_tls_server_name("127.0.0.1"));
  CHECK_NOTHROW(option.set_tls_server_name("::1"));
  CHECK_THROWS_WITH(option.set_tls_server_name("bad name"), Contains("letters, digits"));
  CHECK_THROWS_WITH(option.set_tls_server_name("a..b"), Contains("empty or over-long"));

  SECTION("TLS files without TLS on are a start() error") {
    rocketmq::client::ClientConfig config;
    CHECK_THROWS_WITH(rocketmq::client::apply_security(config, option), Contains("set_tls_enabled(true)"));
  }
  SECTION("a certificate without its key is a start() error") {
    option.set_tls_enabled(true);
    option.set_tls_cert_file(ca);
    rocketmq::client::ClientConfig config;
    CHECK_THROWS_WITH(rocketmq::client::apply_security(config, option), Contains("go together"));
  }
  SECTION("a CA file that is no PEM fails the transport's setup with the file named") {
    option.set_tls_enabled(true);
    rocketmq::client::ClientConfig config;
    rocketmq::client::apply_security(config, option);
    CHECK(config.remoting.tls.enabled);
    CHECK(config.remoting.tls.verify_peer);
    CHECK(config.remoting.tls.ca_file == ca);
    CHECK_THROWS_WITH(rocketmq::remoting::RemotingClient(config.remoting), Contains("CA file '" + ca + "'"));
  }
  std::remove(ca.c_str());
}

TEST_CASE("NO_PERMISSION answers become AuthError naming the broker and the remark", "[acl]") {
  auto response = RemotingCommand::request(0);
  response.mark_response();
  response.code = 16;
  response.remark = "check signature failed.";
  try {
    rocketmq::client::throw_broker_error(response, "127.0.0.1:10911", "heartbeat");
    FAIL("no exception");
  } catch (const AuthError& error) {
    CHECK(error.response_code() == 16);
    CHECK(error.remark() == "check signature failed.");
    CHECK_THAT(error.what(), Contains("127.0.0.1:10911") && Contains("check signature failed."));
  }
  response.code = 17;
  CHECK_THROWS_MATCHES(rocketmq::client::throw_broker_error(response, "b:1", "send"), BrokerError,
                       Catch::Predicate<BrokerError>([](const BrokerError& e) {
                         return dynamic_cast<const AuthError*>(&e) == nullptr;
                       }));
}

TEST_CASE("TLS to a plaintext peer is a ConnectError naming the address, within the connect timeout", "[acl]") {
  // The fake peer speaks plain remoting: it reads our ClientHello as a frame and never answers
  // with TLS, so the handshake ends with the peer closing or the connect timeout.
  rocketmq::test::FakePeer peer(rocketmq::test::FakePeer::echo());
  rocketmq::remoting::RemotingClientOptions options;
  options.connect_timeout = std::chrono::milliseconds(1500);
  options.tls.enabled = true;
  options.tls.verify_peer = false;  // no CA needed: the handshake never gets that far
  rocketmq::remoting::RemotingClient client(options);
  const auto started = std::chrono::steady_clock::now();
  try {
    client.invoke_sync(peer.address(), RemotingCommand::request(105), std::chrono::milliseconds(5000));
    FAIL("no exception");
  } catch (const rocketmq::ConnectError& error) {
    CHECK_THAT(error.what(), Contains(peer.address()));
  }
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::milliseconds(3000));
  client.shutdown();
}
