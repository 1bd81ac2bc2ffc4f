#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace rocketmq::test {

// Name server of the test cluster: $NAMESRV_ADDR, else 127.0.0.1:$RMQ_NAMESRV_PORT, else :9876.
std::string namesrv_addr();

// A name no other test run uses: "<prefix>_<pid>_<counter>_<random>", valid as topic and group.
std::string unique_name(const std::string& prefix);

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

// A second, private cluster for tests that need other broker settings (binary serialization,
// property filtering off): started by test/cluster/cluster.sh with the given environment on other
// ports, stopped on destruction. `name` keeps its store apart.
class ScopedCluster {
 public:
  ScopedCluster(const std::string& name, int namesrv_port, int broker_a_port, int broker_b_port,
                const std::string& extra_env);
  ~ScopedCluster();
  ScopedCluster(const ScopedCluster&) = delete;
  ScopedCluster& operator=(const ScopedCluster&) = delete;
  std::string namesrv() const { return "127.0.0.1:" + std::to_string(namesrv_port_); }
  std::string broker_a() const { return "127.0.0.1:" + std::to_string(broker_a_port_); }

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
};

// Single-quotes a value for /bin/sh.
std::string shell_quote(const std::string& value);

}  // namespace rocketmq::test
