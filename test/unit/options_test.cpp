#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <string>

#include "common/validators.h"
#include "rocketmq/consumer_option.h"
#include "rocketmq/error.h"
#include "rocketmq/producer_option.h"

using namespace std::chrono_literals;
using rocketmq::ClientError;
using rocketmq::ConsumerOption;
using rocketmq::ProducerOption;

TEST_CASE("validate_topic_name checks syntax and length only", "[options]") {
  using rocketmq::common::validate_topic_name;
  CHECK_NOTHROW(validate_topic_name("TopicTest"));
  CHECK_NOTHROW(validate_topic_name("a%b|c_d-e09"));
  CHECK_NOTHROW(validate_topic_name("%RETRY%group"));
  CHECK_NOTHROW(validate_topic_name("%DLQ%group"));
  CHECK_NOTHROW(validate_topic_name("RMQ_SYS_TRACE_TOPIC"));
  CHECK_THROWS_WITH(validate_topic_name(""), "invalid topic \"\": must not be empty");
  CHECK_THROWS_WITH(validate_topic_name("a b"),
                    "invalid topic \"a b\": only letters, digits, %, |, _ and - are allowed");
  CHECK_THROWS_AS(validate_topic_name("a.b"), ClientError);
  CHECK_NOTHROW(validate_topic_name(std::string(127, 't')));
  CHECK_THROWS_WITH(validate_topic_name(std::string(128, 't')),
                    "invalid topic \"" + std::string(128, 't') + "\": longer than 127 characters (128)");
  // Retry and dead-letter topics embed a group name of up to 255 characters.
  CHECK_NOTHROW(validate_topic_name("%RETRY%" + std::string(248, 'g')));
  CHECK_THROWS_WITH(validate_topic_name("%DLQ%" + std::string(251, 'g')),
                    Catch::Contains("longer than 255 characters (256)"));
}

TEST_CASE("validate_topic rejects the broker's system topics", "[options]") {
  using rocketmq::common::validate_topic;
  for (const char* reserved :
       {"TBW102", "SCHEDULE_TOPIC_XXXX", "RMQ_SYS_TRANS_HALF_TOPIC", "RMQ_SYS_TRANS_OP_HALF_TOPIC",
        "TRANS_CHECK_MAX_TIME_TOPIC", "SELF_TEST_TOPIC", "OFFSET_MOVED_EVENT", "RMQ_SYS_TRACE_TOPIC",
        "CHECKPOINT_TOPIC", "rmq_sys_wheel_timer", "rmq_sys_anything"}) {
    CHECK_THROWS_WITH(validate_topic(reserved),
                      "invalid topic \"" + std::string(reserved) + "\": reserved for the broker's own use");
  }
  CHECK_NOTHROW(validate_topic("BenchmarkTest"));
  CHECK_NOTHROW(validate_topic("TBW1020"));
  CHECK_THROWS_WITH(validate_topic("%RETRY%" + std::string(130, 'g')),
                    Catch::Contains("longer than 127 characters"));
}

TEST_CASE("validate_topic_for_send also rejects retry and dead-letter topics", "[options]") {
  using rocketmq::common::validate_topic_for_send;
  CHECK_NOTHROW(validate_topic_for_send("TopicTest"));
  CHECK_THROWS_WITH(
      validate_topic_for_send("%RETRY%g"),
      "invalid topic \"%RETRY%g\": retry (%RETRY%) and dead-letter (%DLQ%) topics cannot be sent to");
  CHECK_THROWS_WITH(validate_topic_for_send("%DLQ%g"), Catch::Contains("cannot be sent to"));
  CHECK_THROWS_WITH(validate_topic_for_send("TBW102"), Catch::Contains("reserved"));
  CHECK_THROWS_WITH(validate_topic_for_send("a b"), Catch::Contains("only letters"));
}

TEST_CASE("validate_group allows 1..255 name characters", "[options]") {
  using rocketmq::common::validate_group;
  CHECK_NOTHROW(validate_group("GID_test-1%|x"));
  CHECK_NOTHROW(validate_group(std::string(255, 'g')));
  CHECK_THROWS_WITH(validate_group(""), "invalid group \"\": must not be empty");
  CHECK_THROWS_WITH(validate_group("g/1"),
                    "invalid group \"g/1\": only letters, digits, %, |, _ and - are allowed");
  CHECK_THROWS_WITH(validate_group(std::string(256, 'g')),
                    Catch::Contains("longer than 255 characters (256)"));
}

TEST_CASE("validate_name_server_addr accepts host:port lists", "[options]") {
  using rocketmq::common::validate_name_server_addr;
  CHECK_NOTHROW(validate_name_server_addr("127.0.0.1:9876"));
  CHECK_NOTHROW(validate_name_server_addr("ns1.example.com:9876;ns2:1"));
  CHECK_NOTHROW(validate_name_server_addr("10.0.0.1:9876;10.0.0.2:65535;"));
  CHECK_NOTHROW(validate_name_server_addr("[::1]:9876"));
  CHECK_THROWS_WITH(
      validate_name_server_addr(""),
      "invalid name server address \"\": must not be empty (expected host:port[;host:port...])");
  CHECK_THROWS_WITH(validate_name_server_addr("localhost"),
                    "invalid name server address \"localhost\": \"localhost\" is not host:port");
  CHECK_THROWS_WITH(validate_name_server_addr("a:1;;b:2"),
                    "invalid name server address \"a:1;;b:2\": empty address between ';'");
  CHECK_THROWS_WITH(validate_name_server_addr(":9876"), Catch::Contains("\":9876\" has no host"));
  CHECK_THROWS_WITH(validate_name_server_addr("a:0"), Catch::Contains("\"a:0\" needs a port 1..65535"));
  CHECK_THROWS_WITH(validate_name_server_addr("a:65536"), Catch::Contains("needs a port 1..65535"));
  CHECK_THROWS_WITH(validate_name_server_addr("a:98x"), Catch::Contains("needs a port 1..65535"));
  CHECK_THROWS_WITH(validate_name_server_addr("a:"), Catch::Contains("needs a port 1..65535"));
  CHECK_THROWS_WITH(validate_name_server_addr("a b:1"), Catch::Contains("has an invalid host"));
  CHECK_THROWS_WITH(validate_name_server_addr("::1:9876"), Catch::Contains("IPv6 addresses need brackets"));
  CHECK_THROWS_WITH(validate_name_server_addr("[zz]:9876"), Catch::Contains("malformed IPv6 host"));
}

TEST_CASE("validate_instance_name allows [a-zA-Z0-9_#@.-]", "[options]") {
  using rocketmq::common::validate_instance_name;
  CHECK_NOTHROW(validate_instance_name("DEFAULT"));
  CHECK_NOTHROW(validate_instance_name("123#456@host.name-x_y"));
  CHECK_THROWS_WITH(validate_instance_name(""), "invalid instance name \"\": must not be empty");
  CHECK_THROWS_WITH(validate_instance_name("a b"),
                    "invalid instance name \"a b\": only letters, digits, _, #, @, . and - are allowed");
}

TEST_CASE("ConsumerOption defaults", "[options]") {
  const auto before = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  ConsumerOption option;
  CHECK(option.name_server_addr().empty());
  CHECK(option.group_name().empty());
  CHECK(option.consume_thread_min() == 20);
  CHECK(option.consume_thread_max() == 64);
  CHECK(option.process_queue_size() == 1000);
  CHECK(option.process_queue_bytes() == 100LL * 1024 * 1024);
  CHECK(option.max_span() == 2000);
  CHECK(option.pull_batch_size() == 32);
  CHECK(option.pull_interval() == 0ms);
  CHECK(option.consume_batch_size() == 1);
  CHECK(option.consume_from_where() == rocketmq::ConsumeFromWhere::ConsumeFromLastOffset);
  CHECK(option.message_model() == rocketmq::MessageModel::Clustering);
  CHECK(option.max_reconsume_times() == 16);
  CHECK(option.consume_timeout() == 15min);
  REQUIRE(option.allocate_strategy() != nullptr);
  CHECK(option.allocate_strategy()->name() == "AVG");
  CHECK(option.instance_name() == "DEFAULT");
  CHECK(option.persist_offset_interval() == 5s);
  CHECK(option.heartbeat_interval() == 30s);
  CHECK(option.rebalance_interval() == 20s);
  CHECK(option.shutdown_timeout() == 30s);
  CHECK(option.request_timeout() == 3s);
  CHECK(option.suspend_time() == 1s);
  // Half an hour before construction, within the test's own runtime.
  const auto half_hour = 30LL * 60 * 1000;
  CHECK(option.consume_timestamp() >= before - half_hour);
  CHECK(option.consume_timestamp() <= before - half_hour + 60 * 1000);
  const char* home = std::getenv("HOME");
  const std::string base = (home != nullptr && *home != '\0') ? home : "/tmp";
  CHECK(option.offset_store_dir() == base + "/.rocketmq_offsets");
}

TEST_CASE("ConsumerOption validates names and addresses", "[options]") {
  ConsumerOption option;
  option.set_name_server_addr("127.0.0.1:9876");
  CHECK(option.name_server_addr() == "127.0.0.1:9876");
  CHECK_THROWS_WITH(option.set_name_server_addr("nope"),
                    Catch::Contains("invalid name server address \"nope\""));
  CHECK(option.name_server_addr() == "127.0.0.1:9876");
  option.set_group_name("GID_orders");
  CHECK(option.group_name() == "GID_orders");
  CHECK_THROWS_WITH(option.set_group_name("a b"), Catch::Contains("invalid group \"a b\""));
  option.set_instance_name("worker-1");
  CHECK(option.instance_name() == "worker-1");
  CHECK_THROWS_WITH(option.set_instance_name("a/b"), Catch::Contains("invalid instance name \"a/b\""));
  option.set_offset_store_dir("/var/lib/app/offsets");
  CHECK(option.offset_store_dir() == "/var/lib/app/offsets");
  CHECK_THROWS_WITH(option.set_offset_store_dir(""), "offset_store_dir must not be empty");
  CHECK_THROWS_WITH(option.set_allocate_strategy(nullptr), "allocate_strategy must not be null");
  option.set_allocate_strategy(rocketmq::allocate_averagely_by_circle());
  CHECK(option.allocate_strategy()->name() == "AVG_BY_CIRCLE");
}

TEST_CASE("ConsumerOption thread counts stay within 1..1000 and min <= max", "[options]") {
  ConsumerOption option;
  CHECK_THROWS_WITH(option.set_consume_thread_min(0), "consume_thread_min must be 1..1000, got 0");
  CHECK_THROWS_WITH(option.set_consume_thread_max(1001), "consume_thread_max must be 1..1000, got 1001");
  CHECK_THROWS_WITH(option.set_consume_thread_min(100),
                    "consume_thread_min 100 exceeds consume_thread_max 64; raise consume_thread_max first");
  CHECK(option.consume_thread_min() == 20);
  CHECK_THROWS_WITH(option.set_consume_thread_max(10),
                    "consume_thread_max 10 is below consume_thread_min 20; lower consume_thread_min first");
  CHECK(option.consume_thread_max() == 64);
  option.set_consume_thread_max(200);
  option.set_consume_thread_min(100);
  CHECK(option.consume_thread_min() == 100);
  CHECK(option.consume_thread_max() == 200);
  option.set_consume_thread_max(100);
  CHECK(option.consume_thread_max() == 100);
  option.set_consume_thread_min(1);
  option.set_consume_thread_max(1);
  CHECK(option.consume_thread_max() == 1);
}

TEST_CASE("ConsumerOption flow control and batch ranges", "[options]") {
  ConsumerOption option;
  CHECK_THROWS_WITH(option.set_process_queue_size(0), "process_queue_size must be 1..65535, got 0");
  CHECK_THROWS_WITH(option.set_process_queue_size(65536), "process_queue_size must be 1..65535, got 65536");
  option.set_process_queue_size(65535);
  CHECK(option.process_queue_size() == 65535);

  CHECK_THROWS_WITH(option.set_process_queue_bytes(1024 * 1024 - 1),
                    "process_queue_bytes must be 1 MiB..2 GiB (1048576..2147483648), got 1048575");
  CHECK_THROWS_AS(option.set_process_queue_bytes(2048LL * 1024 * 1024 + 1), ClientError);
  option.set_process_queue_bytes(2048LL * 1024 * 1024);
  CHECK(option.process_queue_bytes() == 2048LL * 1024 * 1024);
  option.set_process_queue_bytes(1024 * 1024);
  CHECK(option.process_queue_bytes() == 1024 * 1024);

  CHECK_THROWS_WITH(option.set_max_span(0), "max_span must be 1..65535, got 0");
  CHECK_THROWS_WITH(option.set_max_span(65536), "max_span must be 1..65535, got 65536");
  option.set_max_span(1);
  CHECK(option.max_span() == 1);

  CHECK_THROWS_WITH(option.set_pull_batch_size(0), "pull_batch_size must be 1..1024, got 0");
  CHECK_THROWS_WITH(option.set_pull_batch_size(1025), "pull_batch_size must be 1..1024, got 1025");
  option.set_pull_batch_size(1024);
  CHECK(option.pull_batch_size() == 1024);

  CHECK_THROWS_WITH(option.set_pull_interval(-1ms), "pull_interval must be 0..65535 ms, got -1 ms");
  CHECK_THROWS_WITH(option.set_pull_interval(65536), "pull_interval must be 0..65535 ms, got 65536 ms");
  option.set_pull_interval(250);
  CHECK(option.pull_interval() == 250ms);

  CHECK_THROWS_WITH(option.set_consume_batch_size(0), "consume_batch_size must be 1..1024, got 0");
  CHECK_THROWS_WITH(option.set_consume_batch_size(1025), "consume_batch_size must be 1..1024, got 1025");
  option.set_consume_batch_size(16);
  CHECK(option.consume_batch_size() == 16);
}

TEST_CASE("ConsumerOption consumption settings", "[options]") {
  ConsumerOption option;
  CHECK_THROWS_WITH(option.set_consume_timestamp(0),
                    "consume_timestamp must be positive (milliseconds since the epoch), got 0");
  CHECK_THROWS_AS(option.set_consume_timestamp(-5), ClientError);
  option.set_consume_timestamp(1700000000000);
  CHECK(option.consume_timestamp() == 1700000000000);

  CHECK_THROWS_WITH(option.set_max_reconsume_times(17),
                    "max_reconsume_times must be -1 (meaning 16) or 0..16, got 17");
  CHECK_THROWS_WITH(option.set_max_reconsume_times(-2),
                    "max_reconsume_times must be -1 (meaning 16) or 0..16, got -2");
  option.set_max_reconsume_times(3);
  CHECK(option.max_reconsume_times() == 3);
  option.set_max_reconsume_times(-1);
  CHECK(option.max_reconsume_times() == 16);
  option.set_max_reconsume_times(0);
  CHECK(option.max_reconsume_times() == 0);

  CHECK_THROWS_WITH(option.set_consume_timeout(999ms), "consume_timeout must be 1 s..24 h, got 999 ms");
  CHECK_THROWS_WITH(option.set_consume_timeout(24h + 1ms),
                    "consume_timeout must be 1 s..24 h, got 86400001 ms");
  option.set_consume_timeout(1s);
  CHECK(option.consume_timeout() == 1s);
  option.set_consume_timeout(24h);
  CHECK(option.consume_timeout() == 24h);

  option.set_consume_from_where(rocketmq::ConsumeFromWhere::ConsumeFromTimestamp);
  CHECK(option.consume_from_where() == rocketmq::ConsumeFromWhere::ConsumeFromTimestamp);
  option.set_message_model(rocketmq::MessageModel::Broadcasting);
  CHECK(option.message_model() == rocketmq::MessageModel::Broadcasting);
}

TEST_CASE("ConsumerOption intervals and timeouts", "[options]") {
  ConsumerOption option;
  CHECK_THROWS_WITH(option.set_persist_offset_interval(99ms),
                    "persist_offset_interval must be 100 ms..1 h, got 99 ms");
  option.set_persist_offset_interval(100ms);
  CHECK(option.persist_offset_interval() == 100ms);

  CHECK_THROWS_WITH(option.set_heartbeat_interval(999ms),
                    "heartbeat_interval must be 1 s..1 h, got 999 ms");
  option.set_heartbeat_interval(1s);
  CHECK(option.heartbeat_interval() == 1s);

  CHECK(option.route_refresh_interval() == 30s);
  CHECK_THROWS_WITH(option.set_route_refresh_interval(999ms), "route_refresh_interval must be 1 s..1 h, got 999 ms");
  CHECK_THROWS_AS(option.set_route_refresh_interval(std::chrono::hours(2)), rocketmq::ClientError);
  option.set_route_refresh_interval(2s);
  CHECK(option.route_refresh_interval() == 2s);
  CHECK_THROWS_WITH(option.set_rebalance_interval(0ms), "rebalance_interval must be 1 s..1 h, got 0 ms");
  option.set_rebalance_interval(5s);
  CHECK(option.rebalance_interval() == 5s);

  CHECK_THROWS_WITH(option.set_shutdown_timeout(-1ms), "shutdown_timeout must be 0..1 h, got -1 ms");
  CHECK_THROWS_WITH(option.set_shutdown_timeout(1h + 1ms), "shutdown_timeout must be 0..1 h, got 3600001 ms");
  option.set_shutdown_timeout(0ms);
  CHECK(option.shutdown_timeout() == 0ms);

  CHECK_THROWS_WITH(option.set_request_timeout(99ms), "request_timeout must be 100 ms..10 min, got 99 ms");
  CHECK_THROWS_WITH(option.set_request_timeout(10min + 1ms),
                    "request_timeout must be 100 ms..10 min, got 600001 ms");
  option.set_request_timeout(100ms);
  CHECK(option.request_timeout() == 100ms);

  CHECK_THROWS_WITH(option.set_suspend_time(9ms), "suspend_time must be 10 ms..30 s, got 9 ms");
  CHECK_THROWS_WITH(option.set_suspend_time(30001ms), "suspend_time must be 10 ms..30 s, got 30001 ms");
  option.set_suspend_time(30s);
  CHECK(option.suspend_time() == 30s);
}

TEST_CASE("ProducerOption defaults", "[options]") {
  ProducerOption option;
  CHECK(option.name_server_addr().empty());
  CHECK(option.group_name() == "DEFAULT_PRODUCER");
  CHECK(option.instance_name() == "DEFAULT");
  CHECK(option.send_timeout() == 3s);
  CHECK(option.retry_times() == 2);
  CHECK(option.async_retry_times() == 2);
  CHECK(option.compress_threshold() == 4096);
  CHECK(option.compress_level() == 5);
  CHECK(option.max_message_size() == 4 * 1024 * 1024);
  CHECK(option.max_pending_async_sends() == 10000);
  CHECK(option.latency_fault_tolerance());
  CHECK(option.request_timeout() == 3s);
}

TEST_CASE("ProducerOption validates every setter", "[options]") {
  ProducerOption option;
  CHECK_THROWS_WITH(option.set_name_server_addr("x"), Catch::Contains("invalid name server address \"x\""));
  option.set_name_server_addr("a:1;b:2");
  CHECK(option.name_server_addr() == "a:1;b:2");
  CHECK_THROWS_WITH(option.set_group_name(""), "invalid group \"\": must not be empty");
  option.set_group_name("PID_orders");
  CHECK(option.group_name() == "PID_orders");
  CHECK_THROWS_WITH(option.set_instance_name("a b"), Catch::Contains("invalid instance name"));

  CHECK_THROWS_WITH(option.set_send_timeout(9ms), "send_timeout must be 10 ms..10 min, got 9 ms");
  CHECK_THROWS_WITH(option.set_send_timeout(10min + 1ms),
                    "send_timeout must be 10 ms..10 min, got 600001 ms");
  option.set_send_timeout(10ms);
  CHECK(option.send_timeout() == 10ms);

  CHECK_THROWS_WITH(option.set_retry_times(-1), "retry_times must be 0..16, got -1");
  CHECK_THROWS_WITH(option.set_retry_times(17), "retry_times must be 0..16, got 17");
  option.set_retry_times(0);
  CHECK(option.retry_times() == 0);
  CHECK_THROWS_WITH(option.set_async_retry_times(17), "async_retry_times must be 0..16, got 17");
  option.set_async_retry_times(16);
  CHECK(option.async_retry_times() == 16);

  CHECK_THROWS_WITH(option.set_compress_threshold(-1), "compress_threshold must be at least 0, got -1");
  option.set_compress_threshold(0);
  CHECK(option.compress_threshold() == 0);

  CHECK_THROWS_WITH(option.set_compress_level(0), "compress_level must be 1..9, got 0");
  CHECK_THROWS_WITH(option.set_compress_level(10), "compress_level must be 1..9, got 10");
  option.set_compress_level(9);
  CHECK(option.compress_level() == 9);

  CHECK_THROWS_WITH(option.set_max_message_size(0), "max_message_size must be 1..16711680 (16 MiB - 64 KiB), got 0");
  CHECK_THROWS_WITH(option.set_max_message_size(16 * 1024 * 1024),
                    "max_message_size must be 1..16711680 (16 MiB - 64 KiB), got 16777216");
  option.set_max_message_size(16 * 1024 * 1024 - 64 * 1024);
  CHECK(option.max_message_size() == 16711680);

  CHECK_THROWS_WITH(option.set_max_pending_async_sends(0),
                    "max_pending_async_sends must be 1..1000000, got 0");
  CHECK_THROWS_WITH(option.set_max_pending_async_sends(1000001),
                    "max_pending_async_sends must be 1..1000000, got 1000001");
  option.set_max_pending_async_sends(1);
  CHECK(option.max_pending_async_sends() == 1);

  CHECK_THROWS_WITH(option.set_request_timeout(99ms), "request_timeout must be 100 ms..10 min, got 99 ms");
  option.set_request_timeout(10min);
  CHECK(option.request_timeout() == 10min);

  CHECK(option.route_refresh_interval() == 30s);
  CHECK_THROWS_WITH(option.set_route_refresh_interval(0ms), "route_refresh_interval must be 1 s..1 h, got 0 ms");
  option.set_route_refresh_interval(1h);
  CHECK(option.route_refresh_interval() == 1h);

  option.set_latency_fault_tolerance(false);
  CHECK_FALSE(option.latency_fault_tolerance());
}
