#include "common/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <utility>

namespace rocketmq::common {
namespace {

LogLevel initial_threshold() {
  const char* value = std::getenv("ROCKETMQ_LOG_LEVEL");
  if (value == nullptr) return LogLevel::Warn;
  const char* names[] = {"trace", "debug", "info", "warn", "error", "off"};
  for (int i = 0; i < 6; ++i) {
    if (std::strcmp(value, names[i]) == 0) return static_cast<LogLevel>(i);
  }
  return LogLevel::Warn;
}

std::atomic<LogLevel>& threshold() {
  static std::atomic<LogLevel> level{initial_threshold()};
  return level;
}

struct Capture {
  std::atomic<bool> on{false};
  std::mutex mutex;
  std::function<void(const std::string&)> sink;
};
Capture& capture() {
  static Capture* const instance = new Capture();  // leaked: library threads may log at exit
  return *instance;
}

// The application's handler. Held by shared_ptr so that a line being written keeps the handler it
// started with alive while another thread replaces it.
struct Handler {
  std::atomic<bool> on{false};
  std::mutex mutex;
  std::shared_ptr<const LogHandler> handler;
};
Handler& handler() {
  static Handler* const instance = new Handler();  // leaked, as capture()
  return *instance;
}

}  // namespace

void set_log_capture(std::function<void(const std::string& line)> sink) {
  auto& c = capture();
  std::lock_guard<std::mutex> lock(c.mutex);
  c.on = static_cast<bool>(sink);
  c.sink = std::move(sink);
}

LogLevel log_threshold() noexcept { return threshold().load(std::memory_order_relaxed); }

void set_log_threshold(LogLevel level) noexcept { threshold().store(level, std::memory_order_relaxed); }

void write_log(LogLevel level, const std::string& message) noexcept {
  static const char* const kNames[] = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF"};
  auto& h = handler();
  if (h.on.load(std::memory_order_acquire)) {
    std::shared_ptr<const LogHandler> current;
    {
      std::lock_guard<std::mutex> lock(h.mutex);
      current = h.handler;
    }
    if (current) {
      try {
        (*current)(level, message);
      } catch (...) {
        // The application's handler must not take a library thread down.
      }
    }
  } else {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm local{};
    localtime_r(&seconds, &local);
    char stamp[32];
    std::strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &local);
    // One fprintf per line keeps concurrent lines whole.
    std::fprintf(stderr, "%s.%03d %s [rocketmq] %s\n", stamp, static_cast<int>(millis),
                 kNames[static_cast<int>(level)], message.c_str());
  }
  auto& c = capture();
  if (c.on.load(std::memory_order_relaxed)) {
    std::lock_guard<std::mutex> lock(c.mutex);
    try {
      if (c.sink) c.sink(std::string(kNames[static_cast<int>(level)]) + " " + message);
    } catch (...) {
      // A test sink must not take the logging thread down.
    }
  }
}

}  // namespace rocketmq::common

namespace rocketmq {

void set_log_handler(LogHandler handler) {
  auto& h = common::handler();
  std::lock_guard<std::mutex> lock(h.mutex);
  if (handler) {
    h.handler = std::make_shared<const LogHandler>(std::move(handler));
    h.on.store(true, std::memory_order_release);
  } else {
    h.on.store(false, std::memory_order_release);
    h.handler.reset();
  }
}

void set_log_level(LogLevel level) noexcept { common::set_log_threshold(level); }

LogLevel log_level() noexcept { return common::log_threshold(); }

}  // namespace rocketmq
