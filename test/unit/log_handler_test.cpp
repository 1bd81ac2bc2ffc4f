// The application's log handler and error listener: a consumer whose second broker is unreachable
// reports the failures through both, and nothing reaches stderr while a handler is set.

#include <catch2/catch.hpp>
#include <rocketmq/rocketmq.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "protocol/message_decoder.h"
#include "support/fake_broker.h"
#include "support/test_env.h"

using namespace std::chrono_literals;
using rocketmq::test::FakeBroker;
using rocketmq::test::FakePeer;
using rocketmq::test::wait_until;

namespace {

// Sends what this process writes to stderr into a file until destroyed.
class StderrToFile {
 public:
  explicit StderrToFile(std::string path) : path_(std::move(path)) {
    std::fflush(stderr);
    saved_ = ::dup(STDERR_FILENO);
    std::FILE* file = std::fopen(path_.c_str(), "w");
    ::dup2(::fileno(file), STDERR_FILENO);
    std::fclose(file);
  }
  ~StderrToFile() { restore(); }
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, STDERR_FILENO);
    ::close(saved_);
    saved_ = -1;
  }
  std::string contents() const {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  std::string path_;
  int saved_ = -1;
};

struct Collected {
  std::mutex mutex;
  std::vector<std::pair<rocketmq::LogLevel, std::string>> lines;
  std::vector<rocketmq::BackgroundError> errors;
};

struct Ignore : rocketmq::MessageListenerConcurrently {
  rocketmq::ConsumeResult consume_message(const std::vector<rocketmq::MessageExt>&) override {
    return rocketmq::ConsumeResult::Success;
  }
};

}  // namespace

TEST_CASE("the log goes to the application's handler and background failures to the error listener",
          "[log-handler]") {
  const std::string unreachable = [] {
    FakePeer gone(FakePeer::echo());
    return gone.address();  // closed when this returns: connections to it are refused
  }();
  FakeBroker broker(2, "broker-a");
  broker.add_broker("broker-b", unreachable);
  broker.add_record("TopicLogs", 0, 0,
                    rocketmq::protocol::encode_stored_message(FakeBroker::message("TopicLogs", 0, 0, "hello")));

  auto collected = std::make_shared<Collected>();
  const auto previous_level = rocketmq::log_level();
  rocketmq::set_log_level(rocketmq::LogLevel::Info);
  rocketmq::set_log_handler([collected](rocketmq::LogLevel level, std::string_view message) {
    std::lock_guard<std::mutex> lock(collected->mutex);
    collected->lines.emplace_back(level, std::string(message));
  });
  const auto stderr_path = "/tmp/rocketmq_log_handler_test_" + std::to_string(::getpid()) + ".err";
  StderrToFile redirected(stderr_path);
  bool reported = false;
  {
    rocketmq::ConsumerOption option;
    option.set_name_server_addr(broker.address());
    option.set_group_name("log_handler_group");
    option.set_request_timeout(1s);
    option.set_shutdown_timeout(3s);
    option.set_error_listener([collected](const rocketmq::BackgroundError& error) {
      std::lock_guard<std::mutex> lock(collected->mutex);
      collected->errors.push_back(error);
    });
    rocketmq::PushConsumer consumer(option);
    consumer.subscribe("TopicLogs", "*");
    consumer.register_message_listener(std::make_unique<Ignore>());
    consumer.start();
    // broker-b's queues cannot start (their offsets cannot be read) and its heartbeats fail: each
    // failure reaches the listener, naming the broker.
    reported = wait_until(
        [&] {
          std::lock_guard<std::mutex> lock(collected->mutex);
          bool offset_query = false;
          bool heartbeat = false;
          for (const auto& error : collected->errors) {
            offset_query = offset_query || (error.operation == "offset_query" && error.what.find("broker-b") != std::string::npos);
            heartbeat = heartbeat || (error.operation == "heartbeat" && error.what.find(unreachable) != std::string::npos);
          }
          return offset_query && heartbeat;
        },
        20s);
    CHECK(consumer.stats().background_errors > 0);
    consumer.shutdown();
  }
  rocketmq::set_log_handler({});
  rocketmq::set_log_level(previous_level);
  redirected.restore();
  const auto printed = redirected.contents();
  std::remove(stderr_path.c_str());

  std::lock_guard<std::mutex> lock(collected->mutex);
  for (const auto& error : collected->errors) UNSCOPED_INFO("error: " << error.operation << ": " << error.what);
  for (const auto& line : collected->lines) UNSCOPED_INFO("line: " << line.second);
  REQUIRE(reported);
  REQUIRE_FALSE(collected->errors.empty());
  for (const auto& error : collected->errors) {
    if (error.operation != "heartbeat") continue;
    REQUIRE(error.error != nullptr);
    CHECK_THROWS_AS(std::rethrow_exception(error.error), rocketmq::ConnectError);
  }
  // The handler saw the SDK's lines, the warning about the failed pulls among them, without prefixes.
  bool warned = false;
  for (const auto& [level, line] : collected->lines) {
    CHECK(line.find("[rocketmq]") == std::string::npos);
    warned = warned || (level >= rocketmq::LogLevel::Warn && line.find(unreachable) != std::string::npos);
  }
  CHECK(warned);
  INFO("stderr while the handler was set: " << printed);
  CHECK(printed.empty());
}
