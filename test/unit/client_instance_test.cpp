// Client ids and the lifetime of MQClientInstance, without a broker: the instance name rule, the
// registry, and an instance whose last owner lets go on one of the instance's own threads.

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "client/client_config.h"
#include "client/mq_client_instance.h"
#include "common/host_info.h"
#include "rocketmq/error.h"
#include "support/test_env.h"

using namespace std::chrono_literals;
using rocketmq::client::ClientConfig;
using rocketmq::client::MQClientInstance;
using rocketmq::test::wait_until;

namespace {

int thread_count() {
  int count = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++count;
  return count;
}

ClientConfig unreachable_config(const std::string& instance_name) {
  ClientConfig config;
  config.name_server_addr = "127.0.0.1:1";  // nothing listens there; nothing here connects anyway
  config.instance_name = instance_name;
  return config;
}

}  // namespace

TEST_CASE("an instance name left at DEFAULT becomes pid#nanos per client, except for broadcasting", "[client]") {
  const auto first = ClientConfig::resolve_instance_name("DEFAULT", true);
  const auto second = ClientConfig::resolve_instance_name("DEFAULT", true);
  CHECK(first != second);
  const auto pid = std::to_string(rocketmq::common::process_id());
  CHECK(first.rfind(pid + "#", 0) == 0);
  CHECK(first.size() > pid.size() + 1);
  CHECK(ClientConfig::resolve_instance_name("DEFAULT", false) == "DEFAULT");
  CHECK(ClientConfig::resolve_instance_name("orders", true) == "orders");
  ClientConfig config;
  config.instance_name = "DEFAULT";
  CHECK_THAT(config.client_id(), Catch::EndsWith("@DEFAULT"));
}

TEST_CASE("clients with one instance name share an instance, and a shut-down instance is not handed out again",
          "[client]") {
  const auto name = rocketmq::test::unique_name("shared");
  auto first = MQClientInstance::acquire(unreachable_config(name));
  auto second = MQClientInstance::acquire(unreachable_config(name));
  CHECK(first == second);
  auto other = MQClientInstance::acquire(unreachable_config(name + "x"));
  CHECK(other != first);

  first->shutdown_if_unused();  // nothing registered: it goes
  CHECK(first->is_shut_down());
  auto third = MQClientInstance::acquire(unreachable_config(name));
  CHECK(third != first);
  CHECK_FALSE(third->is_shut_down());
}

TEST_CASE("an instance released by its own scheduler thread is torn down elsewhere, without deadlock",
          "[client]") {
  const int baseline = thread_count();
  std::atomic<bool> task_ran{false};
  std::atomic<bool> on_own_thread{false};
  {
    auto instance = MQClientInstance::acquire(unreachable_config(rocketmq::test::unique_name("self")));
    auto* raw = instance.get();
    // The task owns the only reference once this scope ends; it drops it on the scheduler thread.
    raw->scheduler().schedule(50ms, [held = std::move(instance), &task_ran, &on_own_thread]() mutable {
      on_own_thread = held->on_own_thread();
      task_ran = true;
      held.reset();
    });
  }
  REQUIRE(wait_until([&] { return task_ran.load(); }, 10s));
  CHECK(on_own_thread.load());
  // Destroyed on the teardown thread, which joined the instance's threads and then ended itself.
  CHECK(wait_until([&] { return thread_count() <= baseline; }, 10s));
}

TEST_CASE("registering with a shut-down instance is refused with a clear ClientError", "[client]") {
  auto instance = MQClientInstance::acquire(unreachable_config(rocketmq::test::unique_name("closed")));
  instance->shutdown();
  try {
    instance->register_producer(nullptr);
    FAIL("register_producer on a shut-down instance did not throw");
  } catch (const rocketmq::ClientError& error) {
    CHECK_THAT(error.what(), Catch::Contains("shut down"));
  }
}
