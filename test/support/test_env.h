#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "rocketmq/producer_option.h"

namespace rocketmq::test {

// Name server of the test cluster: $NAMESRV_ADDR, else 127.0.0.1:$RMQ_NAMESRV_PORT, else :9876.
std::string namesrv_addr();

// The RocketMQ release of the cluster under test: $RMQ_VERSION (cluster.sh and ./build.sh matrix
// use it), else 5.3.3, the release CI runs.
std::string broker_version();

// True when the cluster under test runs a 4.x release (4.9.7 in the matrix): tests whose broker
// behaviour differs there branch or SKIP on it, naming the reason.
bool broker_is_4x();

// Ends the current test case (use it at its top level) as skipped on the broker release under
// test, naming why; CTest reports it as skipped (SKIP_REGULAR_EXPRESSION in test/CMakeLists.txt),
// Catch2 prints the warning. Needs <catch2/catch.hpp>.
#define ROCKETMQ_SKIP_ON_BROKER(reason)                                                            \
  do {                                                                                             \
    WARN("SKIPPED on RocketMQ " << ::rocketmq::test::broker_version() << ": " << reason);          \
    return;                                                                                        \
  } while (false)

// A name no other test run uses: "<prefix>_<pid>_<counter>_<random>", valid as topic and group.
std::string unique_name(const std::string& prefix);

// Options of a producer of the test cluster: its name server and a unique group "<prefix>_...".
rocketmq::ProducerOption cluster_producer_option(const std::string& group_prefix);

// Lower-case hex SHA-256 of `data`: bodies are compared by digest with the interop peers' output.
std::string sha256_hex(const std::string& data);

// Polls `condition` every `step` until it holds or `deadline` passes; returns its last value.
bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline,
                std::chrono::milliseconds step = std::chrono::milliseconds(20));

struct CommandResult {
  int exit_code = -1;
  std::vector<std::string> stdout_lines;
};

// Runs a shell command, capturing stdout by lines (stderr passes through to the test log).
CommandResult run_command(const std::string& command);

// Runs the Java interop peer (test/interop/interop.sh) with the given arguments, already quoted.
CommandResult run_interop(const std::string& arguments);

// Runs the Go interop peer (test/interop/go/interop-go.sh: produce and consume as the Java peer).
CommandResult run_go_interop(const std::string& arguments);

// A second, private cluster for tests that need other broker settings (binary serialization,
// property filtering off): started by test/cluster/cluster.sh with the given environment on other
// ports, stopped on destruction. `name` keeps its store apart. $ROCKETMQ_PRIVATE_CLUSTER_PORTS
// ("ns,broker-a,broker-b") replaces the ports every test names (./build.sh matrix runs them on ports
// of its own; such tests hold one CTest lock, so one at a time).
class ScopedCluster {
 public:
  ScopedCluster(const std::string& name, int namesrv_port, int broker_a_port, int broker_b_port,
                const std::string& extra_env);
  ~ScopedCluster();
  ScopedCluster(const ScopedCluster&) = delete;
  ScopedCluster& operator=(const ScopedCluster&) = delete;
  std::string namesrv() const { return "127.0.0.1:" + std::to_string(namesrv_port_); }
  std::string broker_a() const { return "127.0.0.1:" + std::to_string(broker_a_port_); }
  std::string broker_b() const { return "127.0.0.1:" + std::to_string(broker_b_port_); }

  // Fault tests (cluster.sh kill / launch): SIGKILLs one process (ns, ns2, broker-a, broker-b,
  // broker-a-s, broker-b-s), or starts it again on its store, returning once it booted. Both throw
  // when cluster.sh fails.
  void kill(const std::string& process);
  void launch(const std::string& process);
  bool running(const std::string& process) const;

 private:
  std::string environment_;
  int namesrv_port_;
  int broker_a_port_;
  int broker_b_port_;
};

// Single-quotes a value for /bin/sh.
std::string shell_quote(const std::string& value);

}  // namespace rocketmq::test
