#pragma once

#include <functional>
#include <string_view>

#include "rocketmq/export.h"

namespace rocketmq {

enum class LogLevel { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4, Off = 5 };

// Receives every line the SDK logs at or above the level (without time stamp or prefix: the
// application's logger adds its own). Called on whichever thread logs: the caller's, an I/O thread,
// the scheduler, a consume thread; possibly on several at once, so it must be thread-safe. It must
// return quickly and must not call blocking SDK functions (shutdown(), send()); exceptions it throws
// are swallowed. `message` is valid during the call only.
using LogHandler = std::function<void(LogLevel level, std::string_view message)>;

// Routes the SDK's log to `handler` instead of stderr; an empty handler restores stderr. Takes
// effect for lines logged after it returns; a call in progress on another thread finishes with the
// handler it started with. Process-wide, any thread.
ROCKETMQ_API void set_log_handler(LogHandler handler);

// Lines below `level` are dropped (before they are formatted). Default: Warn, or the value of
// ROCKETMQ_LOG_LEVEL (trace|debug|info|warn|error|off) at start-up. Process-wide, any thread.
ROCKETMQ_API void set_log_level(LogLevel level) noexcept;
ROCKETMQ_API LogLevel log_level() noexcept;

}  // namespace rocketmq
