#include "rocketmq/version.h"

namespace rocketmq {

const char* version_string() noexcept { return "0.1.0"; }

}  // namespace rocketmq
