#include "rocketmq/consumer_option.h"

#include <cstdlib>
#include <string>
#include <utility>

#include "common/validators.h"
#include "rocketmq/error.h"

namespace rocketmq {

namespace {

using std::chrono::milliseconds;

constexpr int kMaxConsumeThreads = 1000;
constexpr std::int64_t kMiB = 1024 * 1024;
constexpr std::int64_t kMinProcessQueueBytes = kMiB;
constexpr std::int64_t kMaxProcessQueueBytes = 2048 * kMiB;
// The broker keeps 18 delay levels; a retried message uses level 3 + reconsume count, so more than 16
// retries would run past the table (Java MessageConst.MAX_RECONSUME_TIMES).
constexpr int kMaxReconsumeTimes = 16;

// Default start point for ConsumeFromTimestamp, as in the Java client (consumeTimestamp).
constexpr milliseconds kDefaultConsumeLookBack{30 * 60 * 1000};

[[noreturn]] void out_of_range(const char* option, const std::string& range, const std::string& got) {
  throw ClientError(std::string(option) + " must be " + range + ", got " + got);
}

constexpr milliseconds kNoUpperBound = milliseconds::max();

std::int64_t now_millis() {
  return std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string default_offset_store_dir() {
  const char* home = std::getenv("HOME");
  const std::string base = (home != nullptr && *home != '\0') ? home : "/tmp";
  return base + "/.rocketmq_offsets";
}

}  // namespace

ConsumerOption::ConsumerOption()
    : consume_timestamp_(now_millis() - kDefaultConsumeLookBack.count()),
      allocate_strategy_(allocate_averagely()),
      offset_store_dir_(default_offset_store_dir()) {}

void ConsumerOption::set_name_server_addr(const std::string& addr) {
  common::validate_name_server_addr(addr);
  name_server_addr_ = addr;
}

void ConsumerOption::set_group_name(const std::string& group) {
  common::validate_group(group);
  group_name_ = group;
}

// min and max are checked against each other rather than adjusted silently: a pool that quietly
// grew or shrank would hide the caller's mistake. Setting both in the right order always works.
void ConsumerOption::set_consume_thread_min(int threads) {
  common::validate_option_range("consume_thread_min", threads, 1, kMaxConsumeThreads);
  if (threads > consume_thread_max_) {
    throw ClientError("consume_thread_min " + std::to_string(threads) + " exceeds consume_thread_max " +
                      std::to_string(consume_thread_max_) + "; raise consume_thread_max first");
  }
  consume_thread_min_ = threads;
}

void ConsumerOption::set_consume_thread_max(int threads) {
  common::validate_option_range("consume_thread_max", threads, 1, kMaxConsumeThreads);
  if (threads < consume_thread_min_) {
    throw ClientError("consume_thread_max " + std::to_string(threads) + " is below consume_thread_min " +
                      std::to_string(consume_thread_min_) + "; lower consume_thread_min first");
  }
  consume_thread_max_ = threads;
}

void ConsumerOption::set_process_queue_size(int messages) {
  common::validate_option_range("process_queue_size", messages, 1, 65535);
  process_queue_size_ = messages;
}

void ConsumerOption::set_process_queue_bytes(std::int64_t bytes) {
  if (bytes < kMinProcessQueueBytes || bytes > kMaxProcessQueueBytes) {
    out_of_range("process_queue_bytes", "1 MiB..2 GiB (1048576..2147483648)", std::to_string(bytes));
  }
  process_queue_bytes_ = bytes;
}

void ConsumerOption::set_max_span(int offsets) {
  common::validate_option_range("max_span", offsets, 1, 65535);
  max_span_ = offsets;
}

void ConsumerOption::set_pull_batch_size(int messages) {
  common::validate_option_range("pull_batch_size", messages, 1, 1024);
  pull_batch_size_ = messages;
}

void ConsumerOption::set_pull_interval(milliseconds interval) {
  common::validate_option_duration("pull_interval", interval, milliseconds(0), milliseconds(65535),
                                   "0..65535 ms");
  pull_interval_ = interval;
}

void ConsumerOption::set_consume_batch_size(int messages) {
  common::validate_option_range("consume_batch_size", messages, 1, 1024);
  consume_batch_size_ = messages;
}

void ConsumerOption::set_consume_timestamp(std::int64_t epoch_millis) {
  if (epoch_millis <= 0) {
    out_of_range("consume_timestamp", "positive (milliseconds since the epoch)",
                 std::to_string(epoch_millis));
  }
  consume_timestamp_ = epoch_millis;
}

void ConsumerOption::set_max_reconsume_times(int times) {
  if (times < -1 || times > kMaxReconsumeTimes) {
    out_of_range("max_reconsume_times", "-1 (meaning 16) or 0..16", std::to_string(times));
  }
  max_reconsume_times_ = times == -1 ? kMaxReconsumeTimes : times;
}

void ConsumerOption::set_consume_timeout(milliseconds timeout) {
  common::validate_option_duration("consume_timeout", timeout, milliseconds(1000),
                                   milliseconds(24LL * 3600 * 1000), "1 s..24 h");
  consume_timeout_ = timeout;
}

void ConsumerOption::set_allocate_strategy(std::shared_ptr<AllocateStrategy> strategy) {
  if (!strategy) throw ClientError("allocate_strategy must not be null");
  allocate_strategy_ = std::move(strategy);
}

void ConsumerOption::set_instance_name(const std::string& name) {
  common::validate_instance_name(name);
  instance_name_ = name;
}

void ConsumerOption::set_offset_store_dir(const std::string& dir) {
  if (dir.empty()) throw ClientError("offset_store_dir must not be empty");
  if (dir.find('\0') != std::string::npos) throw ClientError("offset_store_dir must not contain a NUL byte");
  offset_store_dir_ = dir;
}

// 100 ms rather than 1 s so that tests can observe committed offsets quickly.
void ConsumerOption::set_persist_offset_interval(milliseconds interval) {
  common::validate_option_duration("persist_offset_interval", interval, milliseconds(100), kNoUpperBound,
                                   "at least 100 ms");
  persist_offset_interval_ = interval;
}

void ConsumerOption::set_heartbeat_interval(milliseconds interval) {
  common::validate_option_duration("heartbeat_interval", interval, milliseconds(1000), kNoUpperBound,
                                   "at least 1 s");
  heartbeat_interval_ = interval;
}

void ConsumerOption::set_rebalance_interval(milliseconds interval) {
  common::validate_option_duration("rebalance_interval", interval, milliseconds(1000), kNoUpperBound,
                                   "at least 1 s");
  rebalance_interval_ = interval;
}

void ConsumerOption::set_route_refresh_interval(milliseconds interval) {
  common::validate_option_duration("route_refresh_interval", interval, milliseconds(1000),
                                   milliseconds(60 * 60 * 1000), "1 s..1 h");
  route_refresh_interval_ = interval;
}

void ConsumerOption::set_consume_thread_keep_alive(milliseconds keep_alive) {
  common::validate_option_duration("consume_thread_keep_alive", keep_alive, milliseconds(100),
                                   milliseconds(3600 * 1000), "100 ms..1 h");
  consume_thread_keep_alive_ = keep_alive;
}

void ConsumerOption::set_shutdown_timeout(milliseconds timeout) {
  common::validate_option_duration("shutdown_timeout", timeout, milliseconds(0), milliseconds(3600 * 1000),
                                   "0..1 h");
  shutdown_timeout_ = timeout;
}

void ConsumerOption::set_request_timeout(milliseconds timeout) {
  common::validate_option_duration("request_timeout", timeout, milliseconds(100),
                                   milliseconds(10 * 60 * 1000), "100 ms..10 min");
  request_timeout_ = timeout;
}

void ConsumerOption::set_suspend_time(milliseconds pause) {
  common::validate_option_duration("suspend_time", pause, milliseconds(10), milliseconds(30 * 1000),
                                   "10 ms..30 s");
  suspend_time_ = pause;
}

void ConsumerOption::set_credentials(const std::string& access_key, const std::string& secret_key) {
  set_credentials(access_key, secret_key, std::string());
}

void ConsumerOption::set_credentials(const std::string& access_key, const std::string& secret_key,
                          const std::string& security_token) {
  common::validate_credentials(access_key, secret_key, security_token);
  access_key_ = access_key;
  secret_key_ = secret_key;
  security_token_ = security_token;
}

void ConsumerOption::set_tls_ca_file(const std::string& path) {
  common::validate_readable_file("tls_ca_file", path);
  tls_ca_file_ = path;
}

void ConsumerOption::set_tls_cert_file(const std::string& path) {
  common::validate_readable_file("tls_cert_file", path);
  tls_cert_file_ = path;
}

void ConsumerOption::set_tls_key_file(const std::string& path) {
  common::validate_readable_file("tls_key_file", path);
  tls_key_file_ = path;
}

void ConsumerOption::set_tls_server_name(const std::string& name) {
  common::validate_tls_server_name(name);
  tls_server_name_ = name;
}

}  // namespace rocketmq
