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

// Single-quotes a value for /bin/sh.
std::string shell_quote(const std::string& value);

}  // namespace rocketmq::test
