#pragma once

#include "rocketmq/export.h"

namespace rocketmq {

// The SDK version, "major.minor.patch".
ROCKETMQ_API const char* version_string() noexcept;

}  // namespace rocketmq
