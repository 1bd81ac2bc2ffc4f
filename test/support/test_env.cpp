#include "support/test_env.h"

#include <sys/wait.h>
#include <openssl/evp.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <thread>

namespace rocketmq::test {

std::string namesrv_addr() {
  if (const char* addr = std::getenv("NAMESRV_ADDR"); addr != nullptr && *addr != '\0') return addr;
  if (const char* port = std::getenv("RMQ_NAMESRV_PORT"); port != nullptr && *port != '\0') {
    return std::string("127.0.0.1:") + port;
  }
  return "127.0.0.1:9876";
}

std::string broker_version() {
  if (const char* version = std::getenv("RMQ_VERSION"); version != nullptr && *version != '\0') return version;
  return "5.3.3";
}

bool broker_is_4x() { return broker_version().rfind("4.", 0) == 0; }

namespace {

// $ROCKETMQ_PRIVATE_CLUSTER_PORTS as three ports, or the given ones.
void private_ports(int& namesrv, int& broker_a, int& broker_b) {
  const char* value = std::getenv("ROCKETMQ_PRIVATE_CLUSTER_PORTS");
  if (value == nullptr || *value == '\0') return;
  int ports[3];
  if (std::sscanf(value, "%d,%d,%d", &ports[0], &ports[1], &ports[2]) != 3) {
    throw std::runtime_error(std::string("ROCKETMQ_PRIVATE_CLUSTER_PORTS must be ns,broker-a,broker-b, got: ") + value);
  }
  namesrv = ports[0];
  broker_a = ports[1];
  broker_b = ports[2];
}

std::string cluster_environment(const std::string& name, int namesrv_port, int broker_a_port, int broker_b_port,
                                const std::string& extra_env) {
  private_ports(namesrv_port, broker_a_port, broker_b_port);
  return "RMQ_NAMESRV_PORT=" + std::to_string(namesrv_port) + " RMQ_BROKER_A_PORT=" + std::to_string(broker_a_port) +
         " RMQ_BROKER_B_PORT=" + std::to_string(broker_b_port) + " RMQ_STORE_ROOT=/dev/shm/rmq-it-" + name + " " +
         extra_env;
}

int overridden(int port, int which) {
  int ports[3] = {0, 0, 0};
  private_ports(ports[0], ports[1], ports[2]);
  return ports[which] != 0 ? ports[which] : port;
}

}  // namespace

std::string unique_name(const std::string& prefix) {
  static std::atomic<int> counter{0};
  static const unsigned salt = std::random_device{}() % 1000000;
  return prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter.fetch_add(1)) + "_" +
         std::to_string(salt);
}

rocketmq::ProducerOption cluster_producer_option(const std::string& group_prefix) {
  rocketmq::ProducerOption option;
  option.set_name_server_addr(namesrv_addr());
  option.set_group_name(unique_name(group_prefix));
  return option;
}

std::string sha256_hex(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("EVP_Digest(SHA-256) failed");
  }
  std::string hex;
  char byte[3];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(byte, sizeof byte, "%02x", digest[i]);
    hex += byte;
  }
  return hex;
}

bool wait_until(const std::function<bool()>& condition, std::chrono::milliseconds deadline,
                std::chrono::milliseconds step) {
  const auto end = std::chrono::steady_clock::now() + deadline;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= end) return condition();
    std::this_thread::sleep_for(step);
  }
}

CommandResult run_command(const std::string& command) {
  CommandResult result;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed for: " + command);
  std::string line;
  char buffer[4096];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
    line += buffer;
    if (!line.empty() && line.back() == '\n') {
      line.pop_back();
      result.stdout_lines.push_back(std::move(line));
      line.clear();
    }
  }
  if (!line.empty()) result.stdout_lines.push_back(std::move(line));
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

std::string shell_quote(const std::string& value) {
  std::string quoted = "'";
  for (char c : value) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

ScopedCluster::ScopedCluster(const std::string& name, int namesrv_port, int broker_a_port, int broker_b_port,
                             const std::string& extra_env)
    : environment_(cluster_environment(name, namesrv_port, broker_a_port, broker_b_port, extra_env)),
      namesrv_port_(overridden(namesrv_port, 0)),
      broker_a_port_(overridden(broker_a_port, 1)),
      broker_b_port_(overridden(broker_b_port, 2)) {
  auto result = run_command(environment_ + " " + ROCKETMQ_SOURCE_DIR + "/test/cluster/cluster.sh start 1>&2");
  if (result.exit_code != 0) {
    run_command(environment_ + " " + ROCKETMQ_SOURCE_DIR + "/test/cluster/cluster.sh stop 1>&2");
    throw std::runtime_error("could not start the " + name + " cluster (see the log above)");
  }
}

ScopedCluster::~ScopedCluster() {
  run_command(environment_ + " " + ROCKETMQ_SOURCE_DIR + "/test/cluster/cluster.sh stop 1>&2");
}

void ScopedCluster::kill(const std::string& process) {
  if (run_command(environment_ + " " + ROCKETMQ_SOURCE_DIR + "/test/cluster/cluster.sh kill " + shell_quote(process) +
                  " 1>&2")
          .exit_code != 0) {
    throw std::runtime_error("cluster.sh kill " + process + " failed");
  }
}

void ScopedCluster::launch(const std::string& process) {
  if (run_command(environment_ + " " + ROCKETMQ_SOURCE_DIR + "/test/cluster/cluster.sh launch " +
                  shell_quote(process) + " 1>&2")
          .exit_code != 0) {
    throw std::runtime_error("cluster.sh launch " + process + " failed (see the log above)");
  }
}

bool ScopedCluster::running(const std::string& process) const {
  auto result = run_command(environment_ + " " + ROCKETMQ_SOURCE_DIR + "/test/cluster/cluster.sh status");
  for (const auto& line : result.stdout_lines) {
    if (line.rfind(process + " running", 0) == 0) return true;
  }
  return false;
}

CommandResult run_interop(const std::string& arguments) {
  return run_command(std::string(ROCKETMQ_SOURCE_DIR) + "/test/interop/interop.sh " + arguments);
}

CommandResult run_go_interop(const std::string& arguments) {
  return run_command(std::string(ROCKETMQ_SOURCE_DIR) + "/test/interop/go/interop-go.sh " + arguments);
}

}  // namespace rocketmq::test
