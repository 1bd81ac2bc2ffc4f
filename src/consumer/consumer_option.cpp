#include "rocketmq/consumer_option.h"

#include <cstdlib>
#include <string>
#include <utility>

#include "common/validators.h"
#include "consumer/consumer_option_table.h"
#include "rocketmq/error.h"

namespace rocketmq {

namespace {

using std::chrono::milliseconds;
namespace rows = consumer::option_rows;

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
    : consume_thread_min_(common::default_int(rows::kConsumeThreadMin)),
      consume_thread_max_(common::default_int(rows::kConsumeThreadMax)),
      consume_thread_keep_alive_(common::default_duration(rows::kConsumeThreadKeepAlive)),
      process_queue_size_(common::default_int(rows::kProcessQueueSize)),
      process_queue_bytes_(rows::kProcessQueueBytes.default_value),
      max_span_(common::default_int(rows::kMaxSpan)),
      pull_batch_size_(common::default_int(rows::kPullBatchSize)),
      pull_interval_(common::default_duration(rows::kPullInterval)),
      consume_batch_size_(common::default_int(rows::kConsumeBatchSize)),
      consume_timestamp_(now_millis() - rows::kConsumeTimestamp.default_value),
      max_reconsume_times_(common::default_int(rows::kMaxReconsumeTimes)),
      consume_timeout_(common::default_duration(rows::kConsumeTimeout)),
      allocate_strategy_(allocate_averagely()),
      offset_store_dir_(default_offset_store_dir()),
      persist_offset_interval_(common::default_duration(rows::kPersistOffsetInterval)),
      heartbeat_interval_(common::default_duration(rows::kHeartbeatInterval)),
      rebalance_interval_(common::default_duration(rows::kRebalanceInterval)),
      route_refresh_interval_(common::default_duration(common::option_rows::kRouteRefreshInterval)),
      shutdown_timeout_(common::default_duration(rows::kShutdownTimeout)),
      request_timeout_(common::default_duration(common::option_rows::kRequestTimeout)),
      suspend_time_(common::default_duration(rows::kSuspendTime)) {}

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
  common::check_option(rows::kConsumeThreadMin, threads);
  if (threads > consume_thread_max_) {
    throw ClientError("consume_thread_min " + std::to_string(threads) + " exceeds consume_thread_max " +
                      std::to_string(consume_thread_max_) + "; raise consume_thread_max first");
  }
  consume_thread_min_ = threads;
}

void ConsumerOption::set_consume_thread_max(int threads) {
  common::check_option(rows::kConsumeThreadMax, threads);
  if (threads < consume_thread_min_) {
    throw ClientError("consume_thread_max " + std::to_string(threads) + " is below consume_thread_min " +
                      std::to_string(consume_thread_min_) + "; lower consume_thread_min first");
  }
  consume_thread_max_ = threads;
}

void ConsumerOption::set_process_queue_size(int messages) {
  common::check_option(rows::kProcessQueueSize, messages);
  process_queue_size_ = messages;
}

void ConsumerOption::set_process_queue_bytes(std::int64_t bytes) {
  common::check_option(rows::kProcessQueueBytes, bytes);
  process_queue_bytes_ = bytes;
}

void ConsumerOption::set_max_span(int offsets) {
  common::check_option(rows::kMaxSpan, offsets);
  max_span_ = offsets;
}

void ConsumerOption::set_pull_batch_size(int messages) {
  common::check_option(rows::kPullBatchSize, messages);
  pull_batch_size_ = messages;
}

void ConsumerOption::set_pull_interval(milliseconds interval) {
  common::check_option(rows::kPullInterval, interval);
  pull_interval_ = interval;
}

void ConsumerOption::set_consume_batch_size(int messages) {
  common::check_option(rows::kConsumeBatchSize, messages);
  consume_batch_size_ = messages;
}

void ConsumerOption::set_consume_timestamp(std::int64_t epoch_millis) {
  common::check_option(rows::kConsumeTimestamp, epoch_millis);
  consume_timestamp_ = epoch_millis;
}

void ConsumerOption::set_max_reconsume_times(int times) {
  common::check_option(rows::kMaxReconsumeTimes, times);
  max_reconsume_times_ = times == -1 ? common::default_int(rows::kMaxReconsumeTimes) : times;
}

void ConsumerOption::set_consume_timeout(milliseconds timeout) {
  common::check_option(rows::kConsumeTimeout, timeout);
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

void ConsumerOption::set_persist_offset_interval(milliseconds interval) {
  common::check_option(rows::kPersistOffsetInterval, interval);
  persist_offset_interval_ = interval;
}

void ConsumerOption::set_heartbeat_interval(milliseconds interval) {
  common::check_option(rows::kHeartbeatInterval, interval);
  heartbeat_interval_ = interval;
}

void ConsumerOption::set_rebalance_interval(milliseconds interval) {
  common::check_option(rows::kRebalanceInterval, interval);
  rebalance_interval_ = interval;
}

void ConsumerOption::set_route_refresh_interval(milliseconds interval) {
  common::check_option(common::option_rows::kRouteRefreshInterval, interval);
  route_refresh_interval_ = interval;
}

void ConsumerOption::set_consume_thread_keep_alive(milliseconds keep_alive) {
  common::check_option(rows::kConsumeThreadKeepAlive, keep_alive);
  consume_thread_keep_alive_ = keep_alive;
}

void ConsumerOption::set_shutdown_timeout(milliseconds timeout) {
  common::check_option(rows::kShutdownTimeout, timeout);
  shutdown_timeout_ = timeout;
}

void ConsumerOption::set_request_timeout(milliseconds timeout) {
  common::check_option(common::option_rows::kRequestTimeout, timeout);
  request_timeout_ = timeout;
}

void ConsumerOption::set_suspend_time(milliseconds pause) {
  common::check_option(rows::kSuspendTime, pause);
  suspend_time_ = pause;
}

}  // namespace rocketmq
