#include "rocketmq/producer_option.h"

#include <string>

#include "common/validators.h"
#include "producer/producer_option_table.h"
#include "rocketmq/error.h"

namespace rocketmq {

namespace {

using std::chrono::milliseconds;
namespace rows = producer::option_rows;

}  // namespace

ProducerOption::ProducerOption()
    : send_timeout_(common::default_duration(rows::kSendTimeout)),
      retry_times_(common::default_int(rows::kRetryTimes)),
      async_retry_times_(common::default_int(rows::kAsyncRetryTimes)),
      compress_threshold_(rows::kCompressThreshold.default_value),
      compress_level_(common::default_int(rows::kCompressLevel)),
      max_message_size_(rows::kMaxMessageSize.default_value),
      max_pending_async_sends_(common::default_int(rows::kMaxPendingAsyncSends)),
      request_timeout_(common::default_duration(common::option_rows::kRequestTimeout)),
      route_refresh_interval_(common::default_duration(common::option_rows::kRouteRefreshInterval)) {}

void ProducerOption::set_name_server_addr(const std::string& addr) {
  common::validate_name_server_addr(addr);
  name_server_addr_ = addr;
}

void ProducerOption::set_group_name(const std::string& group) {
  common::validate_group(group);
  group_name_ = group;
}

void ProducerOption::set_instance_name(const std::string& name) {
  common::validate_instance_name(name);
  instance_name_ = name;
}

void ProducerOption::set_send_timeout(milliseconds timeout) {
  common::check_option(rows::kSendTimeout, timeout);
  send_timeout_ = timeout;
}

void ProducerOption::set_retry_times(int times) {
  common::check_option(rows::kRetryTimes, times);
  retry_times_ = times;
}

void ProducerOption::set_async_retry_times(int times) {
  common::check_option(rows::kAsyncRetryTimes, times);
  async_retry_times_ = times;
}

void ProducerOption::set_compress_threshold(std::int64_t bytes) {
  common::check_option(rows::kCompressThreshold, bytes);
  compress_threshold_ = bytes;
}

void ProducerOption::set_compress_level(int level) {
  common::check_option(rows::kCompressLevel, level);
  compress_level_ = level;
}

void ProducerOption::set_max_message_size(std::int64_t bytes) {
  common::check_option(rows::kMaxMessageSize, bytes);
  max_message_size_ = bytes;
}

void ProducerOption::set_max_pending_async_sends(int sends) {
  common::check_option(rows::kMaxPendingAsyncSends, sends);
  max_pending_async_sends_ = sends;
}

void ProducerOption::set_request_timeout(milliseconds timeout) {
  common::check_option(common::option_rows::kRequestTimeout, timeout);
  request_timeout_ = timeout;
}

void ProducerOption::set_route_refresh_interval(milliseconds interval) {
  common::check_option(common::option_rows::kRouteRefreshInterval, interval);
  route_refresh_interval_ = interval;
}

}  // namespace rocketmq
