#pragma once

// Umbrella header: the whole public API of rocketmq-cpp.
#include "rocketmq/consume_result.h"
#include "rocketmq/consumer_option.h"
#include "rocketmq/error.h"
#include "rocketmq/export.h"
#include "rocketmq/logging.h"
#include "rocketmq/message.h"
#include "rocketmq/message_ext.h"
#include "rocketmq/message_listener.h"
#include "rocketmq/message_queue.h"
#include "rocketmq/message_selector.h"
#include "rocketmq/producer.h"
#include "rocketmq/producer_option.h"
#include "rocketmq/push_consumer.h"
#include "rocketmq/security_option.h"
#include "rocketmq/send_result.h"
#include "rocketmq/version.h"
