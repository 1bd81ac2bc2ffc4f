#pragma once

#include <functional>
#include <sstream>
#include <string>

#include "rocketmq/logging.h"

namespace rocketmq::common {

using LogLevel = ::rocketmq::LogLevel;

// The SDK's internal log: one line per event on stderr, "<time> <LEVEL> [rocketmq] <message>", or
// to the application's handler (rocketmq::set_log_handler). The threshold comes from
// ROCKETMQ_LOG_LEVEL (trace|debug|info|warn|error|off, default warn) and can be changed at run time
// (rocketmq::set_log_level).
LogLevel log_threshold() noexcept;
void set_log_threshold(LogLevel level) noexcept;
void write_log(LogLevel level, const std::string& message) noexcept;

// Tests only: every line written (whatever goes to stderr) is also handed to `sink`, on the
// logging thread; an empty function stops it. Lets a test grep the log it caused (e.g. for a secret).
void set_log_capture(std::function<void(const std::string& line)> sink);

}  // namespace rocketmq::common

#define ROCKETMQ_LOG(level, expression)                                         \
  do {                                                                          \
    if (static_cast<int>(level) >= static_cast<int>(::rocketmq::common::log_threshold())) { \
      std::ostringstream rocketmq_log_stream_;                                  \
      rocketmq_log_stream_ << expression;                                       \
      ::rocketmq::common::write_log(level, rocketmq_log_stream_.str());         \
    }                                                                           \
  } while (false)

#define LOG_DEBUG(expression) ROCKETMQ_LOG(::rocketmq::common::LogLevel::Debug, expression)
#define LOG_INFO(expression) ROCKETMQ_LOG(::rocketmq::common::LogLevel::Info, expression)
#define LOG_WARN(expression) ROCKETMQ_LOG(::rocketmq::common::LogLevel::Warn, expression)
#define LOG_ERROR(expression) ROCKETMQ_LOG(::rocketmq::common::LogLevel::Error, expression)
