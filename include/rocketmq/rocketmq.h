#pragma once

// Umbrella header: the whole public API of rocketmq-cpp.
#include "rocketmq/error.h"
#include "rocketmq/export.h"
#include "rocketmq/version.h"
